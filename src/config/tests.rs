//! Tests of `config.rs`: defaults, set/get typing, env, TOML, warnings.
use super::*;
use OptionValue::{Bool, List, Number, Str};

fn list(items: &[&str]) -> OptionValue {
    List(items.iter().map(|s| (*s).to_owned()).collect())
}

fn err_text(r: Result<&mut Config, ConfigError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn every_default_of_section_8_2() {
    let c = Config::default();
    let g = |k: &str| c.get(k).unwrap();
    assert_eq!(g("origins"), list(&["*:*"]));
    assert_eq!(g("store"), Str("memory".into()));
    assert_eq!(g("logger"), Bool(false));
    assert_eq!(g("static"), Bool(false));
    assert_eq!(g("log"), Bool(true));
    assert_eq!(g("heartbeats"), Bool(true));
    assert_eq!(g("resource"), Str("/socket.io".into()));
    assert_eq!(
        g("transports"),
        list(&["websocket", "htmlfile", "xhr-polling", "jsonp-polling"])
    );
    assert_eq!(g("authorization"), Bool(false));
    assert_eq!(g("blacklist"), list(&["disconnect"]));
    assert_eq!(g("log level"), Number(3.0));
    assert_eq!(
        g("log colors"),
        Bool(std::io::stdout().is_terminal()),
        "log colors defaults to: stdout is a TTY"
    );
    assert_eq!(g("close timeout"), Number(60.0));
    assert_eq!(g("heartbeat interval"), Number(25.0));
    assert_eq!(g("heartbeat timeout"), Number(60.0));
    assert_eq!(g("polling duration"), Number(20.0));
    assert_eq!(g("flash policy server"), Bool(true));
    assert_eq!(g("flash policy port"), Number(10843.0));
    assert_eq!(g("destroy upgrade"), Bool(true));
    assert_eq!(g("destroy buffer size"), Number(100_000_000.0));
    assert_eq!(g("browser client"), Bool(true));
    assert_eq!(g("browser client cache"), Bool(true));
    assert_eq!(g("browser client minification"), Bool(false));
    assert_eq!(g("browser client etag"), Bool(false));
    assert_eq!(g("browser client expires"), Number(315_360_000.0));
    assert_eq!(g("browser client gzip"), Bool(false));
    assert_eq!(g("browser client handler"), Bool(false));
    assert_eq!(g("client store expiration"), Number(15.0));
    assert_eq!(g("match origin protocol"), Bool(false));
    // sio09's own.
    assert_eq!(g("workers"), Number(0.0));
    assert_eq!(g("io driver"), Str("auto".into()));
    assert_eq!(g("broadcast writes per tick"), Number(500.0));
    assert_eq!(g("browser client path"), Bool(false));
    assert_eq!(g("redis pub"), Str(String::new()));
    assert_eq!(g("redis sub"), Str(String::new()));
    assert_eq!(g("redis client"), Str(String::new()));
    assert_eq!(c.store, StoreSpec::Memory);
    assert_eq!(c.io_driver, IoDriver::Auto);
}

#[test]
fn option_names_are_complete_and_consistent() {
    let c = Config::default();
    assert_eq!(Config::OPTION_NAMES.len(), 38);
    let mut envs = std::collections::HashSet::new();
    for name in Config::OPTION_NAMES {
        assert!(kind_of(name).is_some(), "{name} has no kind");
        assert!(c.get(name).is_ok(), "{name} has no getter");
        assert!(envs.insert(Config::env_name(name)), "{name} env clash");
        // Every current value can be set back unchanged.
        let mut d = c.clone();
        d.set(name, c.get(name).unwrap()).unwrap();
        assert_eq!(d.get(name).unwrap(), c.get(name).unwrap(), "{name}");
    }
}

#[test]
fn set_and_get_typed_values() {
    let mut c = Config::default();
    c.set("heartbeat interval", Number(0.05))
        .unwrap()
        .set("log level", 1.into())
        .unwrap()
        .set("flash policy port", (-1).into())
        .unwrap()
        .set("browser client path", "/opt/client/dist".into())
        .unwrap()
        .set("workers", 4.into())
        .unwrap()
        .set("io driver", "io_uring".into())
        .unwrap()
        .set("destroy buffer size", Number(1e3))
        .unwrap();
    assert_eq!(c.heartbeat_interval, 0.05);
    assert_eq!(c.log_level, 1);
    assert_eq!(c.flash_policy_port, -1);
    assert_eq!(c.browser_client_path.as_deref(), Some("/opt/client/dist"));
    assert_eq!(c.workers, 4);
    assert_eq!(c.io_driver, IoDriver::Uring);
    assert_eq!(c.destroy_buffer_size, 1000);
    c.set("browser client path", Bool(false)).unwrap();
    assert_eq!(c.browser_client_path, None);
    c.set("flash policy port", 65535.into()).unwrap();
    c.set("io driver", "EPOLL".into()).unwrap();
    assert_eq!(c.io_driver, IoDriver::Legacy);
}

#[test]
fn type_errors_have_clear_messages() {
    let mut c = Config::default();
    let m = err_text(c.set("log level", Str("debug".into())));
    assert_eq!(
        m,
        "invalid value for option `log level`: expected an integer log level: 0 error, 1 \
         warn, 2 info, 3 debug, got \"debug\""
    );
    let m = err_text(c.set("heartbeats", Number(1.0)));
    assert!(m.contains("`heartbeats`") && m.contains("boolean") && m.ends_with("got 1"));
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let m = err_text(c.set("close timeout", Number(bad)));
        assert!(m.contains("seconds >= 0"), "{m}");
    }
    assert!(err_text(c.set("log level", 4.into())).contains("got 4"));
    assert!(err_text(c.set("log level", Number(1.5))).contains("got 1.5"));
    assert!(err_text(c.set("flash policy port", 70000.into())).contains("65535"));
    assert!(err_text(c.set("destroy buffer size", (-5).into())).contains("bytes"));
    assert!(err_text(c.set("workers", 5000.into())).contains("1024"));
    let m = err_text(c.set("broadcast writes per tick", (-1).into()));
    assert!(m.contains("coalescing off"), "{m}");
    assert!(err_text(c.set("broadcast writes per tick", Number(2.5))).contains("got 2.5"));
    c.set("broadcast writes per tick", 0.into()).unwrap();
    assert_eq!(c.broadcast_writes_per_tick, 0);
    assert!(err_text(c.set("io driver", "kqueue".into())).contains("`auto`"));
    assert!(err_text(c.set("transports", Bool(true))).contains("transport names"));
    let m = err_text(c.set("transports", list(&["websocket", "xhr_polling"])));
    assert!(m.contains("\"xhr_polling\""), "{m}");
    assert!(err_text(c.set("transports", list(&[]))).contains("non-empty"));
    assert!(err_text(c.set("browser client path", Bool(true))).contains("directory"));
    // Nothing changed by the failed calls.
    assert_eq!(c.log_level, 3);
    assert_eq!(c.close_timeout, 60.0);
    assert_eq!(c.transports, Transport::DEFAULT.to_vec());
    // A long value is shortened in the message.
    let long = "x".repeat(500);
    let m = err_text(c.set("log level", Str(long)));
    assert!(m.len() < 250 && m.ends_with('…'), "{m}");
}

#[test]
fn set_str_parses_text() {
    let mut c = Config::default();
    for (raw, want) in [
        ("1", true),
        ("0", false),
        ("true", true),
        ("FALSE", false),
        ("yes", true),
        ("no", false),
        (" on ", true),
        ("off", false),
    ] {
        c.set_str("browser client gzip", raw).unwrap();
        assert_eq!(c.browser_client_gzip, want, "{raw}");
    }
    let m = err_text(c.set_str("browser client gzip", "maybe"));
    assert!(m.contains("yes/no") && m.contains("\"maybe\""), "{m}");
    c.set_str("destroy buffer size", "10E7").unwrap();
    assert_eq!(c.destroy_buffer_size, 100_000_000);
    c.set_str("heartbeat timeout", " 2.5 ").unwrap();
    assert_eq!(c.heartbeat_timeout, 2.5);
    let m = err_text(c.set_str("heartbeat timeout", "soon"));
    assert!(
        m.contains("`heartbeat timeout`") && m.contains("\"soon\""),
        "{m}"
    );
    assert!(err_text(c.set_str("close timeout", "inf")).contains("finite"));
    c.set_str("transports", "websocket, flashsocket,websocket")
        .unwrap();
    assert_eq!(
        c.transports,
        vec![Transport::Websocket, Transport::Flashsocket]
    );
    c.set_str("blacklist", "disconnect, secret event").unwrap();
    assert_eq!(c.blacklist, vec!["disconnect", "secret event"]);
    c.set_str("browser client path", "").unwrap();
    assert_eq!(c.browser_client_path, None);
    c.set_str("authorization", "false").unwrap();
    assert!(err_text(c.set_str("authorization", "true")).contains("Server::authorization"));
    assert!(matches!(
        c.set_str("nope", "1"),
        Err(ConfigError::UnknownOption(k)) if k == "nope"
    ));
}

#[test]
fn origins_are_tokenised_and_validated() {
    let mut c = Config::default();
    c.set("origins", "example.com:* foo.org:8080,bar.net:80".into())
        .unwrap();
    assert_eq!(
        c.origins,
        vec!["example.com:*", "foo.org:8080", "bar.net:80"]
    );
    c.set("origins", list(&["*:443", " ::1:80 "])).unwrap();
    assert_eq!(c.origins, vec!["*:443", "::1:80"]);
    for bad in [
        "example.com",
        "http://a.com:80",
        "a.com:http",
        "a.com:99999",
        ":80",
        "",
    ] {
        let m = err_text(c.set("origins", Str(bad.into())));
        assert!(m.contains("host:port"), "{bad}: {m}");
    }
    assert!(err_text(c.set("origins", Bool(true))).contains("`origins`"));
    assert_eq!(c.origins, vec!["*:443", "::1:80"]);
}

#[test]
fn resource_is_normalised() {
    let mut c = Config::default();
    c.set("resource", "/io/".into()).unwrap();
    assert_eq!(c.resource, "/io");
    c.set("resource", "/a/b".into()).unwrap();
    assert_eq!(c.resource, "/a/b");
    for bad in ["socket.io", "/", "//", "/a b", "/a?x", "", "/a#b"] {
        let m = err_text(c.set("resource", Str(bad.into())));
        assert!(m.contains("`resource`"), "{bad}: {m}");
    }
    assert_eq!(c.resource, "/a/b");
}

#[test]
fn store_values() {
    let mut c = Config::default();
    c.set("store", "redis://:s3cr%40t@cache.local:6380/2".into())
        .unwrap();
    assert_eq!(
        c.store,
        StoreSpec::Redis {
            url: "redis://:s3cr%40t@cache.local:6380/2".into()
        }
    );
    assert_eq!(
        c.store.redis_target().unwrap(),
        RedisTarget {
            host: "cache.local".into(),
            port: 6380,
            username: None,
            password: Some("s3cr@t".into()),
            db: 2,
        }
    );
    c.set("store", "MEMORY".into()).unwrap();
    assert_eq!(c.store, StoreSpec::Memory);
    assert_eq!(c.store.redis_target(), None);
    let t = parse_redis_url("redis://[::1]").unwrap();
    assert_eq!((t.host.as_str(), t.port, t.db), ("::1", 6379, 0));
    let t = parse_redis_url("redis://user:pw@h:1/").unwrap();
    assert_eq!(t.username.as_deref(), Some("user"));
    for bad in [
        "redis",
        "http://h:1",
        "rediss://h:6379",
        "redis://",
        "redis://h:0",
        "redis://h:port",
        "redis://h:6379/x",
        "redis://pw@h:6379",
        "redis://h:6379?db=1",
        "redis://h o:1",
        "redis://:%zz@h",
    ] {
        let m = err_text(c.set("store", Str(bad.into())));
        assert!(
            m.contains("`store`") && m.contains("redis://"),
            "{bad}: {m}"
        );
    }
    let m = err_text(c.set("store", "redis://h:70000".into()));
    assert!(m.contains("1-65535"), "{m}");
    assert_eq!(c.store, StoreSpec::Memory);
}

#[test]
fn function_options_need_the_rust_api() {
    let mut c = Config::default();
    for key in [
        "authorization",
        "browser client handler",
        "logger",
        "static",
    ] {
        c.set(key, Bool(false)).unwrap();
        c.disable(key).unwrap();
        for v in [Bool(true), Str("fn".into()), Number(1.0)] {
            let e = c.set(key, v).unwrap_err();
            assert!(matches!(e, ConfigError::RustApiOnly { .. }), "{key}");
            assert!(e.to_string().contains(key));
        }
        assert!(c.disabled(key));
    }
    let m = err_text(c.enable("authorization"));
    assert!(m.contains("Server::authorization"), "{m}");
}

#[test]
fn unknown_option_errors_suggest_the_name() {
    let mut c = Config::default();
    let m = err_text(c.set("heartbeat_interval", Number(1.0)));
    assert!(m.contains("did you mean `heartbeat interval`?"), "{m}");
    let m = err_text(c.set("log levle", Number(1.0)));
    assert!(m.contains("did you mean `log level`?"), "{m}");
    let m = err_text(c.set("completely unrelated", Number(1.0)));
    assert!(m.contains("unknown option \"completely unrelated\""), "{m}");
    assert!(m.contains("OPTION_NAMES"), "{m}");
    assert!(matches!(c.get("nope"), Err(ConfigError::UnknownOption(_))));
}

#[test]
fn enable_disable_enabled_disabled() {
    let mut c = Config::default();
    c.enable("browser client etag").unwrap();
    assert!(c.browser_client_etag && c.enabled("browser client etag"));
    c.disable("heartbeats").unwrap();
    assert!(!c.heartbeats && c.disabled("heartbeats"));
    // Non-boolean options: set(key, true/false) must type-check.
    assert!(matches!(
        c.enable("log level"),
        Err(ConfigError::BadValue { .. })
    ));
    assert!(matches!(
        c.disable("origins"),
        Err(ConfigError::BadValue { .. })
    ));
    c.disable("browser client path").unwrap();
    assert!(c.enable("nope").is_err());
    // JS truthiness of the stored value.
    assert!(c.enabled("log level"));
    c.set("log level", 0.into()).unwrap();
    assert!(c.disabled("log level"));
    c.set("close timeout", 0.into()).unwrap();
    assert!(c.disabled("close timeout"));
    assert!(c.enabled("origins") && c.enabled("transports") && c.enabled("resource"));
    assert!(c.disabled("browser client path") && c.disabled("authorization"));
    c.set("blacklist", list(&[])).unwrap();
    assert!(c.enabled("blacklist"), "arrays are truthy even when empty");
    assert!(c.disabled("unknown key") && !c.enabled("unknown key"));
}

#[test]
fn configure_by_node_env() {
    let mut c = Config::default();
    let mut ran = Vec::new();
    c.configure_for("production", Some("production"), |_| ran.push("prod"))
        .configure_for("development", Some("production"), |_| ran.push("dev"))
        .configure_for("development", None, |_| ran.push("dev-default"))
        .configure_for("development", Some(""), |_| ran.push("dev-empty"))
        .configure_for("production", None, |_| ran.push("prod-unset"))
        .configure_all(|_| ran.push("all"));
    assert_eq!(ran, vec!["prod", "dev-default", "dev-empty", "all"]);
    c.configure_for("production", Some("production"), |c| {
        c.enable("browser client etag").unwrap();
        c.set("log level", 1.into()).unwrap();
    });
    assert!(c.browser_client_etag);
    assert_eq!(c.log_level, 1);
    // The convenience reads NODE_ENV; an env name nobody uses never runs.
    let mut hit = false;
    c.configure("sio09-test-env-that-is-never-set", |_| hit = true);
    assert!(!hit);
}

#[test]
fn env_names() {
    assert_eq!(
        Config::env_name("heartbeat interval"),
        "SIO_HEARTBEAT_INTERVAL"
    );
    assert_eq!(Config::env_name("io driver"), "SIO_IO_DRIVER");
    assert_eq!(Config::env_name("transports"), "SIO_TRANSPORTS");
}

#[test]
fn apply_env_reads_sio_variables() {
    let mut c = Config::default();
    let applied = c
        .apply_env(env(&[
            ("PATH", "/usr/bin"),
            ("SIO_HEARTBEAT_INTERVAL", "2"),
            ("SIO_TRANSPORTS", "websocket,xhr-polling"),
            ("SIO_DESTROY_BUFFER_SIZE", "10E7"),
            ("SIO_BROWSER_CLIENT_GZIP", "1"),
            ("SIO_ORIGINS", "a.com:* b.org:80"),
            ("SIO_IO_DRIVER", "legacy"),
            ("NODE_ENV", "production"),
        ]))
        .unwrap();
    assert_eq!(
        applied,
        vec![
            "heartbeat interval",
            "transports",
            "destroy buffer size",
            "browser client gzip",
            "origins",
            "io driver"
        ]
    );
    assert_eq!(c.heartbeat_interval, 2.0);
    assert_eq!(
        c.transports,
        vec![Transport::Websocket, Transport::XhrPolling]
    );
    assert_eq!(c.destroy_buffer_size, 100_000_000);
    assert!(c.browser_client_gzip);
    assert_eq!(c.origins, vec!["a.com:*", "b.org:80"]);
    assert_eq!(c.io_driver, IoDriver::Legacy);
}

#[test]
fn apply_env_errors_leave_config_unchanged() {
    let mut c = Config::default();
    let e = c
        .apply_env(env(&[
            ("SIO_HEARTBEAT_INTERVAL", "2"),
            ("SIO_LOG_LEVEL", "5"),
        ]))
        .unwrap_err();
    assert!(matches!(&e, ConfigError::Env { var, .. } if var == "SIO_LOG_LEVEL"));
    let m = e.to_string();
    assert!(
        m.starts_with("environment variable `SIO_LOG_LEVEL`: invalid value for option `log level`")
            && m.ends_with("got 5"),
        "{m}"
    );
    assert_eq!(c.heartbeat_interval, 25.0, "all or nothing");

    let e = c.apply_env(env(&[("SIO_BOGUS", "1")])).unwrap_err();
    assert!(matches!(&e, ConfigError::UnknownEnvVar(v) if v == "SIO_BOGUS"));
    assert!(e.to_string().contains("SIO_HEARTBEAT_INTERVAL"));
    let e = c
        .apply_env(env(&[("SIO_HEARTBEAT_INTERVALL", "1")]))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("did you mean `SIO_HEARTBEAT_INTERVAL`?"),
        "{e}"
    );
    // Callers may exempt their own SIO_* variables.
    let applied = c
        .apply_env_except(
            env(&[("SIO_PORT", "8080"), ("SIO_LOG", "no")]),
            &["SIO_PORT"],
        )
        .unwrap();
    assert_eq!(applied, vec!["log"]);
    assert!(!c.log);
}

#[test]
fn apply_toml_file() {
    let mut c = Config::default();
    c.apply_toml(
        r#"
# socket.io 0.9 option names
origins = ["example.com:*", "foo.org:8080"]
"log level" = 1
"heartbeat interval" = 10
"close timeout" = 0.5
"destroy buffer size" = 10E7
transports = ["websocket", "flashsocket"]
"browser client etag" = true
store = "redis://127.0.0.1:6379/0"
"io driver" = "uring"
workers = 2
"#,
    )
    .unwrap();
    assert_eq!(c.origins, vec!["example.com:*", "foo.org:8080"]);
    assert_eq!(c.log_level, 1);
    assert_eq!(c.heartbeat_interval, 10.0);
    assert_eq!(c.close_timeout, 0.5);
    assert_eq!(c.destroy_buffer_size, 100_000_000);
    assert_eq!(c.transport_names(), vec!["websocket", "flashsocket"]);
    assert!(c.browser_client_etag);
    assert!(matches!(c.store, StoreSpec::Redis { .. }));
    assert_eq!(c.io_driver, IoDriver::Uring);
    assert_eq!(c.workers, 2);

    let before = c.clone();
    let m = c
        .apply_toml("\"log level\" = 2\nheartbeat_interval = 3\n")
        .unwrap_err()
        .to_string();
    assert!(m.contains("did you mean `heartbeat interval`?"), "{m}");
    assert!(c.apply_toml("\"log level\" = \"x\"").is_err());
    let m = c.apply_toml("\"log level\" = ").unwrap_err().to_string();
    assert!(m.starts_with("configuration file: "), "{m}");
    let m = c.apply_toml("origins = [1, 2]").unwrap_err().to_string();
    assert!(m.contains("array items must be strings"), "{m}");
    let m = c.apply_toml("[heartbeats]\nx = 1").unwrap_err().to_string();
    assert!(m.contains("got a table"), "{m}");
    assert_eq!(c.log_level, before.log_level, "all or nothing");
    assert_eq!(c.heartbeat_interval, before.heartbeat_interval);
}

#[test]
fn warnings_for_inactive_and_risky_settings() {
    let mut c = Config::default();
    assert!(c.warnings(&["flash policy server", "static"]).is_empty());
    c.set("flash policy port", 843.into()).unwrap();
    let w = c.warnings(&["flash policy port", "not an option"]);
    assert_eq!(w.len(), 1);
    assert!(
        w[0].contains("`flash policy port`") && w[0].contains("843"),
        "{w:?}"
    );

    let mut c = Config::default();
    c.disable("heartbeats").unwrap();
    let w = c.warnings(&[]);
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("Q-28"));

    let mut c = Config::default();
    c.set("close timeout", 20.into()).unwrap();
    c.set("heartbeat interval", 60.into()).unwrap();
    let w = c.warnings(&[]);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].contains("`polling duration` (20s) is not below `close timeout` (20s)"));
    assert!(w[1].contains("`heartbeat interval` (60s)"));
}

#[test]
fn handshake_fields() {
    let mut c = Config::default();
    assert_eq!(c.handshake_heartbeat_timeout(), Some(60.0));
    assert_eq!(c.handshake_close_timeout(), Some(60.0));
    c.set("heartbeat timeout", Number(0.05)).unwrap();
    assert_eq!(c.handshake_heartbeat_timeout(), Some(0.05));
    c.set("heartbeat timeout", 0.into()).unwrap();
    assert_eq!(c.handshake_heartbeat_timeout(), None);
    c.set("heartbeat timeout", 60.into()).unwrap();
    c.disable("heartbeats").unwrap();
    assert_eq!(c.handshake_heartbeat_timeout(), None);
    c.set("close timeout", 0.into()).unwrap();
    assert_eq!(c.handshake_close_timeout(), None);
    assert_eq!(
        Config::default().transport_names().join(","),
        "websocket,htmlfile,xhr-polling,jsonp-polling"
    );
}

#[test]
fn transport_and_driver_names_round_trip() {
    for t in Transport::ALL {
        assert_eq!(t.name().parse::<Transport>().unwrap(), t);
        assert_eq!(t.to_string(), t.name());
    }
    assert!("XHR-Polling".parse::<Transport>().is_err());
    for d in [IoDriver::Auto, IoDriver::Uring, IoDriver::Legacy] {
        assert_eq!(d.name().parse::<IoDriver>().unwrap(), d);
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn set_str_never_panics_and_failures_change_nothing(
            idx in 0..Config::OPTION_NAMES.len(),
            raw in ".{0,40}",
        ) {
            let key = Config::OPTION_NAMES[idx];
            let mut c = Config::default();
            let before = c.get(key).unwrap();
            match c.set_str(key, &raw) {
                Ok(_) => {
                    // Whatever was stored can be read and set again.
                    let now = c.get(key).unwrap();
                    let mut d = Config::default();
                    d.set(key, now.clone()).unwrap();
                    prop_assert_eq!(d.get(key).unwrap(), now);
                }
                Err(e) => {
                    prop_assert!(!e.to_string().is_empty());
                    prop_assert_eq!(c.get(key).unwrap(), before);
                }
            }
        }

        #[test]
        fn set_numbers_never_panic(idx in 0..Config::OPTION_NAMES.len(), n in any::<f64>()) {
            let mut c = Config::default();
            let _ = c.set(Config::OPTION_NAMES[idx], Number(n));
        }

        #[test]
        fn redis_urls_never_panic(s in "redis://.{0,30}") {
            let _ = parse_redis_url(&s);
        }

        #[test]
        fn apply_toml_never_panics(s in ".{0,60}") {
            let mut c = Config::default();
            let _ = c.apply_toml(&s);
        }
    }
}

#[test]
fn redis_connection_options_take_urls_or_empty() {
    let mut c = Config::default();
    c.set_str("redis pub", "redis://:pw@10.0.0.2:6380/1")
        .unwrap();
    assert_eq!(c.redis_pub.as_deref(), Some("redis://:pw@10.0.0.2:6380/1"));
    c.set_str("redis pub", "").unwrap();
    assert_eq!(c.redis_pub, None);
    let e = c.set_str("redis sub", "http://x").unwrap_err().to_string();
    assert!(e.contains("redis sub") && e.contains("redis://"), "{e}");
    assert_eq!(c.redis_sub, None);
    c.set_str("redis client", "redis://127.0.0.1:7000").unwrap();
    assert_eq!(
        c.get("redis client").unwrap(),
        OptionValue::Str("redis://127.0.0.1:7000".into())
    );
}

#[test]
fn tls_options_from_every_source() {
    let mut c = Config::default();
    assert_eq!(c.get("tls cert").unwrap(), Bool(false));
    assert_eq!((c.tls_cert.as_deref(), c.tls_key.as_deref()), (None, None));
    c.set("tls cert", Str("/etc/c.pem".into())).unwrap();
    c.set_str("tls key", "/etc/k.pem").unwrap();
    assert_eq!(c.get("tls cert").unwrap(), Str("/etc/c.pem".into()));
    assert_eq!(c.tls_key.as_deref(), Some("/etc/k.pem"));
    // `false` and "" both mean none; a number is not a path.
    c.disable("tls cert").unwrap();
    c.set_str("tls key", "").unwrap();
    assert_eq!((c.tls_cert.as_deref(), c.tls_key.as_deref()), (None, None));
    assert!(err_text(c.set("tls key", Number(3.0))).contains("PEM file"));
    let mut e = Config::default();
    e.apply_env(env(&[("SIO_TLS_CERT", "a.pem"), ("SIO_TLS_KEY", "b.pem")]))
        .unwrap();
    assert_eq!(
        (e.tls_cert.as_deref(), e.tls_key.as_deref()),
        (Some("a.pem"), Some("b.pem"))
    );
    let mut t = Config::default();
    t.apply_toml("\"tls cert\" = \"c.pem\"\n\"tls key\" = \"k.pem\"\n")
        .unwrap();
    assert_eq!(
        (t.tls_cert.as_deref(), t.tls_key.as_deref()),
        (Some("c.pem"), Some("k.pem"))
    );
}
