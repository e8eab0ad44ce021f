//! Link arguments of the shared library: SONAME `libsio09.so.<ABI major>` (the major read
//! from `[package.metadata.sio09] abi_major` in Cargo.toml) and a version script that
//! exports only `sio_*` symbols (C-ABI.md §1, §4).

fn abi_major(manifest: &str) -> Option<u32> {
    manifest.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "abi_major").then(|| v.trim().parse().ok())?
    })
}

fn main() {
    println!("cargo:rerun-if-changed=sio09.map");
    println!("cargo:rerun-if-changed=Cargo.toml");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" {
        return;
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let manifest = std::fs::read_to_string(format!("{dir}/Cargo.toml")).unwrap_or_default();
    let major = abi_major(&manifest).unwrap_or(0);
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsio09.so.{major}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/sio09.map");
}
