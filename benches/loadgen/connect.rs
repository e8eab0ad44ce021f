//! Helpers shared by the websocket clients: connecting with the thread's accounting, waiting
//! for one packet and flushing a write buffer.

use crate::local::{source, Local};
use crate::ws::{self, put_frame, Conn, OP_TEXT};
use monoio::io::AsyncWriteRentExt;

/// The join event (ack id 1).
pub const JOIN: &[u8] = b"5:1+::{\"name\":\"join\",\"args\":[\"bench\"]}";
/// The join's ack.
pub const JOIN_ACK: &[u8] = b"6:::1+[\"bench\"]";

/// Read frames until `want` arrives (answering heartbeats); anything else is an error.
pub async fn await_packet(conn: &mut Conn, want: &[u8]) -> Result<(), String> {
    loop {
        let mut hb = false;
        while let Some((op, r)) = conn.rx.next_frame()? {
            let p = &conn.rx.buf[r];
            if op == OP_TEXT && p == want {
                return Ok(());
            } else if op == OP_TEXT && p == b"2::" {
                hb = true;
            } else {
                return Err(format!(
                    "waiting for {:?}, got {:?}",
                    String::from_utf8_lossy(want),
                    String::from_utf8_lossy(p)
                ));
            }
        }
        if hb {
            let mut w = Vec::with_capacity(16);
            put_frame(&mut w, OP_TEXT, b"2::", conn.mask.next_key());
            conn.stream
                .write_all(w)
                .await
                .0
                .map_err(|e| format!("write: {e}"))?;
        }
        match conn.rx.fill(&mut conn.stream).await {
            Ok(0) => return Err("server closed the connection".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

/// Connect client `idx` (joining room `bench` when `join`), keeping the connection accounting.
pub async fn connect_client(l: &Local, idx: usize, join: bool) -> Result<Conn, String> {
    let res = async {
        let mut conn = ws::open(
            l.plan.target_for(idx),
            source(&l.plan, idx),
            idx as u32 ^ 0x5EED,
        )
        .await?;
        if join {
            let mut w = Vec::with_capacity(64);
            put_frame(&mut w, OP_TEXT, JOIN, conn.mask.next_key());
            conn.stream
                .write_all(w)
                .await
                .0
                .map_err(|e| format!("write: {e}"))?;
            await_packet(&mut conn, JOIN_ACK).await?;
        }
        Ok(conn)
    }
    .await;
    l.connected(res.is_ok());
    res
}

/// Write and clear `wbuf` if it holds anything.
pub async fn flush(stream: &mut impl AsyncWriteRentExt, wbuf: &mut Vec<u8>) -> Result<(), String> {
    if wbuf.is_empty() {
        return Ok(());
    }
    let (res, b) = stream.write_all(std::mem::take(wbuf)).await;
    *wbuf = b;
    wbuf.clear();
    res.map(|_| ()).map_err(|e| format!("write: {e}"))
}
