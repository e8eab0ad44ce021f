//! Applications built into the `sio09` binary: the conformance/benchmark test app
//! (`--app test`, `../shared/TEST-APP.md`) and the default chat demo.

pub mod chat;
pub mod test_app;
