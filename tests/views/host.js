// The test harness's host: the reference MCP Apps host bridge (AppBridge + PostMessageTransport from
// @modelcontextprotocol/ext-apps) rendering one of our views in a sandboxed iframe, as a real host does.
// The view's tools/call goes to window.harnessCallTool, which the Python test exposes (it forwards to our
// server through an MCP client session). esbuild bundles this file once per test session.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

window.mountView = async function mountView({ html, toolName, input, result, hostContext }) {
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts"); // an opaque origin, as hosts give a view
  frame.title = "view";
  frame.id = "view";
  document.body.appendChild(frame);
  const bridge = new AppBridge(
    null,
    { name: "google-mcp test host", version: "1.0.0" },
    { serverTools: {}, openLinks: {}, logging: {} },
    { hostContext: { theme: "light", platform: "web", ...hostContext, toolInfo: { tool: { name: toolName, inputSchema: { type: "object" } } } } },
  );
  window.harnessLog = [];
  bridge.oncalltool = async (params) => {
    window.harnessLog.push({ method: "tools/call", name: params.name, arguments: params.arguments || {} });
    return await window.harnessCallTool(params.name, params.arguments || {});
  };
  bridge.onopenlink = async ({ url }) => {
    window.harnessLog.push({ method: "ui/open-link", url });
    return {};
  };
  bridge.onsizechange = (size) => {
    window.harnessLog.push({ method: "size-changed", ...size });
  };
  const initialized = new Promise((resolve) => {
    bridge.oninitialized = resolve;
  });
  await bridge.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
  frame.srcdoc = html;
  await initialized;
  await bridge.sendToolInput({ arguments: input || {} });
  if (result) await bridge.sendToolResult(result);
  window.bridge = bridge;
  return true;
};

window.setTheme = (theme) => window.bridge.setHostContext({ ...window.bridge.getHostContext?.(), theme });
