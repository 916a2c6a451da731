//! The typed configuration's virtual servers as the pool and the probes see them
//! (keepalived check_data.c / check_api.c): which virtual host an HTTP check sends, one
//! probe per SMTP_CHECK host, alpha, weights, mail, ha_suspend.

use ka_check::config::build;
use ka_config::{parse_str, Options};

fn built(
    text: &str,
) -> (
    Vec<ka_check::service::VsConfig>,
    Vec<ka_check::config::CheckSpec>,
) {
    let l = parse_str("k.conf", text, &Options::default());
    assert_eq!(l.errors(), 0, "{:?}", l.short());
    build(&l.config)
}

const CONF: &str = r#"
global_defs {
    smtp_server 127.0.0.1
    notification_email {
        ops@example.com
    }
}
virtual_server 192.0.2.1 80 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    virtualhost vs.example
    ha_suspend
    smtp_alert
    real_server 10.0.0.1 80 {
        weight 3
        virtualhost rs.example
        HTTP_GET {
            url {
                path /
            }
            virtualhost check.example
        }
    }
    real_server 10.0.0.2 80 {
        weight 0
        HTTP_GET {
            url {
                path /
            }
        }
        TCP_CHECK {
            alpha
        }
    }
    real_server 10.0.0.3 25 {
        SMTP_CHECK {
            connect_ip 10.0.0.30
            host {
                connect_ip 10.0.0.31
                connect_port 2525
            }
            host {
                bindto 10.0.0.99
            }
        }
    }
}
virtual_server fwmark 7 {
    lb_algo rr
    lb_kind DR
    ha_suspend
    real_server 10.0.0.4 80 {
        TCP_CHECK {
        }
    }
}
"#;

#[test]
fn virtual_hosts_smtp_hosts_alpha_weights_mail_and_ha_suspend() {
    let (pool, specs) = built(CONF);
    // The checker's virtualhost, else the real server's, else the virtual server's.
    let vhosts: Vec<Option<&str>> = specs
        .iter()
        .filter(|s| s.vs == 0 && s.rs < 2)
        .map(|s| s.how.virtualhost.as_deref())
        .collect();
    assert_eq!(
        vhosts,
        vec![
            Some("check.example"),
            Some("vs.example"),
            Some("vs.example")
        ]
    );
    // SMTP_CHECK: one probe per host block, each taking what it does not say from the
    // checker (connect_ip 10.0.0.30, port 25).
    let smtp: Vec<(String, Option<String>)> = specs
        .iter()
        .filter(|s| s.vs == 0 && s.rs == 2)
        .map(|s| (s.target.to_string(), s.how.bindto.map(|b| b.to_string())))
        .collect();
    assert_eq!(
        smtp,
        vec![
            ("10.0.0.31:2525".to_string(), None),
            ("10.0.0.30:25".to_string(), Some("10.0.0.99".to_string())),
        ]
    );
    assert_eq!(
        specs.iter().map(|s| s.index).collect::<Vec<_>>(),
        vec![0, 0, 1, 0, 1, 0]
    );
    let rs = &pool[0].real_servers;
    assert_eq!(
        rs.iter().map(|r| r.checkers).collect::<Vec<_>>(),
        vec![1, 2, 2]
    );
    assert_eq!(
        rs.iter().map(|r| r.alpha).collect::<Vec<_>>(),
        vec![false, true, false],
        "alpha on any checker starts the server down"
    );
    assert_eq!(rs[0].weight, 3);
    assert_eq!(rs[1].weight, 0);
    assert!(pool[0].smtp_alert && rs[0].smtp_alert);
    // ha_suspend follows an address; a fwmark service has none to follow.
    assert_eq!(pool[0].ha_suspend, Some("192.0.2.1".parse().unwrap()));
    assert_eq!(pool[1].ha_suspend, None);
}

#[test]
fn an_smtp_check_without_host_blocks_probes_the_real_server() {
    let (_, specs) = built(
        "virtual_server 192.0.2.1 25 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.3 25 {\n SMTP_CHECK {\n }\n }\n}\n",
    );
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].target.to_string(), "10.0.0.3:25");
}

#[test]
fn no_checker_emails_silences_the_real_servers_only() {
    let text = CONF.replace(
        "smtp_server 127.0.0.1",
        "smtp_server 127.0.0.1\n    no_checker_emails",
    );
    let (pool, _) = built(&text);
    assert!(pool[0].smtp_alert, "the virtual server's quorum mail stays");
    assert!(pool[0].real_servers.iter().all(|r| !r.smtp_alert));
}

#[test]
fn real_servers_checked_alike_share_their_settings_and_keep_their_targets() {
    let (_, specs) = built(
        "virtual_server 192.0.2.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n\
         real_server 10.0.0.1 80 {\n TCP_CHECK {\n connect_timeout 3\n }\n }\n\
         real_server 10.0.0.2 80 {\n TCP_CHECK {\n connect_timeout 3\n }\n }\n\
         real_server 10.0.0.3 80 {\n TCP_CHECK {\n connect_timeout 4\n }\n }\n\
         real_server 10.0.0.4 80 {\n TCP_CHECK {\n connect_timeout 4\n connect_port 81\n }\n }\n}\n",
    );
    let targets: Vec<String> = specs.iter().map(|s| s.target.to_string()).collect();
    assert_eq!(
        targets,
        ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:81"]
    );
    assert!(std::rc::Rc::ptr_eq(&specs[0].how, &specs[1].how));
    assert!(!std::rc::Rc::ptr_eq(&specs[1].how, &specs[2].how));
    assert_eq!(specs[2].how.connect_timeout.as_secs(), 4);
    // Where they connect is not part of the settings: the same ones, shared.
    assert!(std::rc::Rc::ptr_eq(&specs[2].how, &specs[3].how));
}
