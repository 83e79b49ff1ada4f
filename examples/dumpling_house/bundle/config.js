// Where this app's own backend listens. `hutong demo` writes this file into the bundle it
// uploads, with the port it starts the backend on.
window.APP_CONFIG = { api: "http://127.0.0.1:9101" };
