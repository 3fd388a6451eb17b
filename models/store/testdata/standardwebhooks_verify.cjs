// Verifies webhook deliveries with the npm standardwebhooks package (the reference
// TypeScript implementation of Standard Webhooks), independent of Gatehouse's code.
// stdin: a JSON array of {name, secret, headers, body}; stdout: one JSON line per case,
// {name, ok, error}. Run with NODE_PATH naming a node_modules that holds standardwebhooks.
"use strict";
const { Webhook } = require("standardwebhooks");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
	for (const c of JSON.parse(input)) {
		try {
			new Webhook(c.secret).verify(c.body, c.headers);
			console.log(JSON.stringify({ name: c.name, ok: true }));
		} catch (e) {
			console.log(JSON.stringify({ name: c.name, ok: false, error: String(e && e.message) }));
		}
	}
});
