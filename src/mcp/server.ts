/**
 * The MCP server of Open Paper Trading: one `McpServer` per connection (a stdio process or an
 * HTTP session), acting for one identity, with every tool group registered on it. Both
 * transports build it here, so they offer the same tools over the same command handlers and
 * projections as REST.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ToolSession,
  type CallTracker,
  type McpDeps,
  type McpIdentity,
  type McpSetup,
} from './session.ts';
import { ToolCatalog } from './tool.ts';
import { registerAccountTools } from './tools/account.ts';
import { registerBacktestTools } from './tools/backtests.ts';
import { registerAnalysisTools } from './tools/analysis.ts';
import { registerRiskTools } from './tools/risk.ts';
import { registerMarketTools } from './tools/market.ts';
import { registerOrderManagementTools } from './tools/order-management.ts';
import { registerOrderTools } from './tools/orders.ts';
import { registerOptionTools } from './tools/options.ts';
import { registerOptionsAnalysisTool } from './tools/options-analysis.ts';
import { registerSystemTools } from './tools/system.ts';

export { CallTracker } from './session.ts';
export type { McpDeps, McpIdentity, McpSetup, ReadModelProgress } from './session.ts';

/** The tool names this server offers, in the order `tools/list` returns them (docs/mcp.md). */
export const MCP_TOOL_NAMES = [
  'buy_stock_market',
  'buy_stock_limit',
  'buy_stock_stop_loss',
  'buy_stock_trailing_stop',
  'sell_stock_market',
  'sell_stock_limit',
  'sell_stock_stop_loss',
  'sell_stock_trailing_stop',
  'preview_order',
  'replace_order',
  'stock_orders',
  'open_stock_orders',
  'cancel_stock_order_by_id',
  'cancel_all_stock_orders_tool',
  'explain_fill',
  'account_info',
  'account_details',
  'positions',
  'portfolio_history',
  'get_quote',
  'market_hours',
  // Options (src/mcp/tools/options.ts).
  'buy_option_limit',
  'sell_option_limit',
  'option_credit_spread',
  'option_debit_spread',
  'options_orders',
  'open_option_orders',
  'cancel_option_order_by_id',
  'cancel_all_option_orders_tool',
  'options_chain',
  'option_greeks',
  'option_historicals',
  'aggregate_option_positions',
  'all_option_positions',
  'open_option_positions',
  'exercise_option',
  // Analysis and risk (tools/analysis.ts, tools/options-analysis.ts, tools/risk.ts).
  'get_technical_indicators',
  'scan_market',
  'stock_ratings',
  'stock_events',
  'stock_level2_data',
  'economic_news',
  'options_chain_analysis',
  'portfolio_risk',
  'risk_limits',
  // Backtests (tools/backtests.ts).
  'run_backtest',
  'backtest_result',
  'list_tools',
  'health_check',
] as const;

/** What the model reads when it connects. */
const INSTRUCTIONS = [
  'Open Paper Trading: a paper-trading venue. Money, orders and fills are simulated; prices come from a simulated (or replayed) market on the venue clock.',
  'Start with account_info (balances, your account ids) and market_hours (is the market open?). get_quote before trading.',
  'Orders: buy_/sell_stock_market, _limit, _stop_loss, _trailing_stop; preview_order shows what an order would do without placing it.',
  'Options: options_chain lists contracts (OCC symbols) with greeks; buy_option_limit / sell_option_limit trade one contract; option_credit_spread / option_debit_spread open a vertical as one all-or-none order; aggregate_option_positions shows net greeks, max profit and max loss; options_chain_analysis gives put/call ratios, max pain, IV rank and the expected move.',
  'Read the status in each answer: "accepted" means queued until the open, NOT filled; "new" means working, not filled yet.',
  'Pass a client_order_id you choose on every order: repeating a call with the same client_order_id never places a second order, so retries are safe.',
  'Quantities and prices may be numbers or strings ("10", "185.50"); every refused call says which argument to fix.',
  'Analysis: scan_market finds candidates; get_technical_indicators, stock_ratings, stock_events, stock_level2_data and economic_news describe them (all simulated). Risk: preview_order shows the position and portfolio after an order; risk_limits sets limits the venue enforces; portfolio_risk reports VaR and net option greeks. Backtests: run_backtest tests a strategy on history with the same trading rules, backtest_result reads it back.',
].join('\n');

/** An MCP server acting for `identity`, ready to `connect` to a transport. */
export function createMcpServer(deps: McpDeps, identity: McpIdentity): McpServer {
  return buildServer(new ToolSession({ deps, identity }), deps.version);
}

/**
 * An MCP server that answers `initialize` and `tools/list` at once while the venue is still
 * starting (`setup`); tool calls wait for it. Stdio uses this so a client's initialize timeout
 * never races the start of the embedded database.
 */
export function createStartingMcpServer(
  setup: Promise<McpSetup>,
  options: { readonly version: string; readonly calls?: CallTracker },
): McpServer {
  return buildServer(new ToolSession(setup, options.calls), options.version);
}

function buildServer(session: ToolSession, version: string): McpServer {
  const server = new McpServer(
    { name: 'open-paper-trading', title: 'Open Paper Trading', version },
    { instructions: INSTRUCTIONS, capabilities: { tools: {} } },
  );
  const catalog = new ToolCatalog();
  registerOrderTools(server, session, catalog);
  registerOrderManagementTools(server, session, catalog);
  registerAccountTools(server, session, catalog);
  registerMarketTools(server, session, catalog);
  registerOptionTools(server, session, catalog);
  registerAnalysisTools(server, session, catalog);
  registerOptionsAnalysisTool(server, session, catalog);
  registerRiskTools(server, session, catalog);
  registerBacktestTools(server, session, catalog);
  registerSystemTools(server, session, catalog);
  return server;
}
