import { connectorContract } from './connector-contract.js';
import { restApiHarness } from './connectors/rest-api.js';

connectorContract(restApiHarness());
