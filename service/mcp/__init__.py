"""MCP: Interlock's API as tools for agents, over stdio (`interlock mcp`) and streamable HTTP (`/mcp`)."""
