//! The `static` scenario: keep-alive connections each looping `GET <path>` (the client build,
//! `/socket.io/socket.io.js` by default), checking status 200, the `Content-Length` bytes read,
//! the same body length every time and, with `--gzip`, a gzip body (a plain one is tolerated
//! during the warmup: the reference serves those until its gzip cache is filled).

use crate::http::{put_request, HttpConn};
use crate::local::{source, Local};
use crate::plan::now_ns;
use std::rc::Rc;

/// One static client connection.
pub async fn static_client(l: Rc<Local>, idx: usize) {
    if let Err(e) = static_run(&l, idx).await {
        l.error(|| format!("static client {idx}: {e}"));
    }
    l.done.set(l.done.get() + 1);
}

/// The body of [`static_client`].
async fn static_run(l: &Local, idx: usize) -> Result<(), String> {
    let t = &l.plan.target;
    let gzip = l.plan.gzip;
    let extra = if gzip {
        "Accept-Encoding: gzip\r\n"
    } else {
        ""
    };
    let mut req = Vec::with_capacity(256);
    put_request(&mut req, "GET", &l.plan.path, &t.host, extra, b"");
    // One priming request per connection while connecting: a cold reference builds the
    // client once per concurrent request and caches it before its gzip child process has
    // finished, so these first answers may be slow and plain. Not measured.
    let conn = async {
        let mut conn = HttpConn::connect(t.addr, source(&l.plan, idx)).await?;
        let r = conn.roundtrip(&mut req).await?;
        if r.status != 200 {
            return Err(format!("first request: HTTP {}", r.status));
        }
        Ok(conn)
    }
    .await;
    l.connected(conn.is_ok());
    let mut conn = conn?;
    l.gate.wait().await;
    let end = l.end.get();
    let mut size: Option<usize> = None;
    loop {
        let sent = now_ns();
        if sent >= end {
            return Ok(());
        }
        Local::add(&l.sent, 1);
        let r = conn.roundtrip(&mut req).await?;
        let now = now_ns();
        if r.status != 200 {
            return Err(format!("HTTP {}", r.status));
        }
        if r.gzip != gzip {
            // The reference caches a build before its gzip child process has finished, so
            // the first requests get the plain body: tolerated during the warmup only.
            if now < l.ms.get() {
                continue;
            }
            return Err(format!(
                "Content-Encoding gzip {}, asked for {} (server option `browser client gzip`?)",
                r.gzip, gzip
            ));
        }
        let n = r.body.len();
        if n == 0 || *size.get_or_insert(n) != n {
            return Err(format!("body of {n} bytes, earlier {size:?}"));
        }
        if l.in_window(now) {
            Local::add(&l.bytes, n as u64);
        }
        l.delivered(now, sent);
    }
}
