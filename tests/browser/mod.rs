//! Headless Chromium, driven over the DevTools protocol: real mouse clicks
//! and typing, the DOM read back through `Runtime.evaluate`, screenshots.
//!
//! Chromium is Debian's `chromium` package (or `CHROMIUM=/path/to/it`).
//! Without it, [`Browser::launch`] fails the test when `CI` is set and
//! otherwise prints a note and returns `None`, so the test can skip.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value as Json, json};
use tungstenite::{Message, WebSocket};

const NAMES: [&str; 4] = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/// How long one protocol reply, or a page condition, may take.
const PATIENCE: Duration = Duration::from_secs(30);

fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| NAMES.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A running headless Chromium with one page open.
pub struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    /// The id DevTools gives the page's attachment; commands carry it.
    page: String,
    next_id: u64,
    profile: PathBuf,
}

impl Browser {
    /// Starts Chromium with a `width` × `height` window, or says why not.
    pub fn launch(width: u32, height: u32) -> Option<Browser> {
        let Some(chromium) = find_chromium() else {
            let message = "Chromium is not installed: the HTML viewer's browser test needs it \
                           (Debian: `apt-get install chromium`, or set CHROMIUM=/path/to/chromium)";
            if std::env::var_os("CI").is_some() {
                panic!("{message}");
            }
            // Straight to stderr: the test harness captures `eprintln!`, and
            // a skip must be seen.
            let _ = writeln!(std::io::stderr(), "note: skipping a browser test. {message}");
            return None;
        };
        // A profile of its own: Chromium hands a second launch on the same
        // profile over to the first and exits.
        static LAUNCHES: AtomicUsize = AtomicUsize::new(0);
        let launch = LAUNCHES.fetch_add(1, Ordering::Relaxed);
        let profile = std::env::temp_dir().join(format!("tracer-chromium-{}-{launch}", std::process::id()));
        let mut child = Command::new(&chromium)
            .args([
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--no-first-run",
                "--remote-debugging-port=0",
                &format!("--user-data-dir={}", profile.display()),
                &format!("--window-size={width},{height}"),
                "about:blank",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
        // Chromium prints the browser's websocket address on stderr.
        let stderr = child.stderr.take().expect("piped stderr");
        let (found, address) = mpsc::channel();
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    if let Some(found) = found.take() {
                        let _ = found.send(url.trim().to_string());
                    }
                }
            }
        });
        let url = match address.recv_timeout(PATIENCE) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("{} printed no DevTools address", chromium.display());
            }
        };
        let host = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("unexpected DevTools address {url}"));
        let stream = TcpStream::connect(host).expect("connect to Chromium's DevTools port");
        stream.set_read_timeout(Some(PATIENCE)).expect("a read timeout");
        let (socket, _) = tungstenite::client(url.as_str(), stream).expect("DevTools websocket handshake");
        let mut browser = Browser {
            child,
            socket,
            page: String::new(),
            next_id: 0,
            profile,
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().expect("a target id").to_string();
        let attached = browser.call("Target.attachToTarget", json!({"targetId": target_id, "flatten": true}));
        browser.page = attached["sessionId"].as_str().expect("an attachment id").to_string();
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        Some(browser)
    }

    /// Sends one protocol command (to the page once attached) and returns
    /// its result; events in between are skipped.
    pub fn call(&mut self, method: &str, params: Json) -> Json {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({"id": id, "method": method, "params": params});
        if !self.page.is_empty() {
            command["sessionId"] = json!(self.page);
        }
        self.socket
            .send(Message::text(command.to_string()))
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        loop {
            let message = self.socket.read().unwrap_or_else(|e| panic!("{method}: no reply: {e}"));
            let Message::Text(text) = message else { continue };
            let reply: Json = serde_json::from_str(text.as_str()).expect("DevTools sends JSON");
            if reply["id"] != id {
                continue;
            }
            if let Some(error) = reply.get("error") {
                panic!("{method} failed: {error}");
            }
            return reply["result"].clone();
        }
    }

    /// Opens `path` and waits until the page's script has run
    /// (`document.body.dataset.ready`).
    pub fn open(&mut self, path: &Path) {
        let url = format!("file://{}", path.canonicalize().expect("the page exists").display());
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for("document.body && document.body.dataset.ready === 'true'");
    }

    /// The value of a JavaScript expression.
    pub fn eval(&mut self, expression: &str) -> Json {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("{expression} threw: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Waits until `condition` (JavaScript) is true.
    pub fn wait_for(&mut self, condition: &str) {
        let started = Instant::now();
        while self.eval(&format!("!!({condition})")) != json!(true) {
            assert!(started.elapsed() < PATIENCE, "the page never got to: {condition}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The centre of the first element matching `selector`, on screen.
    fn centre(&mut self, selector: &str) -> (f64, f64) {
        let selector_json = json!(selector);
        let rect = self.eval(&format!(
            "(() => {{ const e = document.querySelector({selector_json}); if (!e) return null; \
             e.scrollIntoView({{block: 'nearest'}}); const r = e.getBoundingClientRect(); \
             return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
        ));
        assert!(!rect.is_null(), "nothing on the page matches {selector}");
        (rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap())
    }

    /// A left click on the first element matching `selector`, as a mouse
    /// makes it.
    pub fn click(&mut self, selector: &str) {
        let (x, y) = self.centre(selector);
        self.call(
            "Input.dispatchMouseEvent",
            json!({"type": "mouseMoved", "x": x, "y": y}),
        );
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// Turns the mouse wheel over the first element matching `selector`.
    pub fn wheel(&mut self, selector: &str, delta_y: f64) {
        let (x, y) = self.centre(selector);
        self.call(
            "Input.dispatchMouseEvent",
            json!({"type": "mouseWheel", "x": x, "y": y, "deltaX": 0, "deltaY": delta_y}),
        );
    }

    /// Types `text` into the focused element.
    pub fn type_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text}));
    }

    /// Saves a PNG of the page as it is on screen.
    pub fn screenshot(&mut self, path: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 screenshot");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
