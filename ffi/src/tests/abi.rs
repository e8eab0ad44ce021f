//! Versions, argument checks, states, stop/free.

use super::*;
use crate::commands::*;
use std::ffi::CStr;

#[test]
fn versions_match_cargo_toml() {
    assert_eq!(
        sio_abi_version(),
        (crate::SIO_ABI_MAJOR << 16) | crate::SIO_ABI_MINOR
    );
    let manifest = include_str!("../../Cargo.toml");
    let meta = |k: &str| {
        manifest.lines().find_map(|l| {
            l.strip_prefix(k)?
                .trim()
                .strip_prefix('=')?
                .trim()
                .parse::<u32>()
                .ok()
        })
    };
    assert_eq!(meta("abi_major"), Some(crate::SIO_ABI_MAJOR));
    assert_eq!(meta("abi_minor"), Some(crate::SIO_ABI_MINOR));
    let v = unsafe { CStr::from_ptr(sio_version()) }
        .to_str()
        .expect("UTF-8");
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    let s = |c| {
        unsafe { CStr::from_ptr(sio_result_str(c)) }
            .to_str()
            .expect("UTF-8")
    };
    assert_eq!(s(SIO_OK), "ok");
    assert_eq!(s(12345), "invalid parameter");
}

#[test]
fn null_arguments_and_wrong_states_are_errors_not_crashes() {
    unsafe {
        assert_eq!(sio_server_new(std::ptr::null_mut()), SIO_E_INVALID_PARAM);
        assert_eq!(
            sio_set(std::ptr::null_mut(), c("x").as_ptr(), c("y").as_ptr()),
            SIO_E_INVALID_PARAM
        );
        assert_eq!(sio_server_free(std::ptr::null_mut()), SIO_OK);
    }
    let (srv, _) = started(|srv| unsafe {
        assert_eq!(
            sio_set(srv, c("no such option").as_ptr(), c("1").as_ptr()),
            SIO_E_CONFIG
        );
        let mut buf = [0 as std::ffi::c_char; 1024];
        let mut n = 0;
        assert_eq!(
            sio_last_error_message(srv, buf.as_mut_ptr(), buf.len(), &mut n),
            SIO_OK
        );
        assert!(n > 0, "a message for the refused option");
        let mut small = [0 as std::ffi::c_char; 2];
        let mut need = 0;
        assert_eq!(
            sio_get(
                srv,
                c("heartbeat interval").as_ptr(),
                small.as_mut_ptr(),
                2,
                &mut need
            ),
            SIO_E_BUFFER_TOO_SMALL
        );
        assert_eq!(need, 3, "\"25\" plus the NUL");
        assert_eq!(
            sio_get(
                srv,
                c("heartbeat interval").as_ptr(),
                buf.as_mut_ptr(),
                128,
                &mut n
            ),
            SIO_OK
        );
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str(), Ok("25"));
    });
    unsafe {
        assert_eq!(
            sio_set(srv, c("workers").as_ptr(), c("8").as_ptr()),
            SIO_E_STATE,
            "start-only option after start"
        );
        assert_eq!(
            sio_emit(srv, 12345, c("e").as_ptr(), 1, c("[]").as_ptr(), 2, 0),
            SIO_E_NOT_FOUND
        );
        assert_eq!(
            sio_emit(srv, 12345, c("e").as_ptr(), 1, c("{}").as_ptr(), 2, 0),
            SIO_E_INVALID_PARAM
        );
        assert_eq!(
            sio_server_dispatch(srv, 10, std::ptr::null_mut()),
            SIO_E_STATE
        );
    }
    stop_and_free_checked(srv);
}

fn stop_and_free_checked(srv: *mut sio_server) {
    unsafe {
        assert_eq!(sio_server_stop(srv, 100), SIO_OK);
        assert_eq!(sio_server_stop(srv, 100), SIO_OK, "stop is idempotent");
        assert_eq!(sio_join(srv, 1, c("r").as_ptr()), SIO_E_STOPPED);
        let evs = wait_kind(srv, SIO_EV_STOPPED);
        assert_eq!(evs.iter().filter(|e| e.kind == SIO_EV_STOPPED).count(), 1);
        assert_eq!(sio_server_free(srv), SIO_OK);
    }
}

#[test]
fn stop_closes_the_listener() {
    let (srv, port) = started(|_| {});
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    stop_and_free(srv);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port still accepts connections after stop + free"
    );
}

static FREE_RESULT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(u32::MAX);

unsafe extern "C" fn free_inside(user_data: *mut std::ffi::c_void, _ev: *const sio_event) {
    let r = unsafe { sio_server_free(user_data.cast()) };
    FREE_RESULT.store(r, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn free_inside_a_callback_is_busy() {
    let (srv, _) = started(|_| {});
    unsafe {
        assert_eq!(
            sio_server_set_callback(srv, Some(free_inside), srv.cast()),
            SIO_OK
        );
        assert_eq!(sio_server_stop(srv, 0), SIO_OK);
        let mut n = 0;
        assert_eq!(sio_server_dispatch(srv, 16, &mut n), SIO_OK);
        assert_eq!(n, 1, "the STOPPED event");
        assert_eq!(
            FREE_RESULT.load(std::sync::atomic::Ordering::SeqCst),
            SIO_E_BUSY
        );
        assert_eq!(sio_server_free(srv), SIO_OK);
    }
}
