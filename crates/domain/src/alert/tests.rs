use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn reading(price: &str, in_stock: Option<bool>) -> Reading {
    Reading {
        price: d(price),
        in_stock,
    }
}

fn check(previous: Option<Reading>, current: Reading, target: &str) -> Check {
    Check {
        id: Uuid::new_v4(),
        previous,
        current,
        target: d(target),
    }
}

#[test]
fn rules_read_the_json_of_the_api() {
    let rules: Vec<Rule> = serde_json::from_str(
        r#"[{"kind":"below_target"},{"kind":"percent_drop","percent":"10"},
            {"kind":"amount_drop","amount":"5.50"},{"kind":"new_low","days":30},
            {"kind":"back_in_stock"},{"kind":"any_change"}]"#,
    )
    .unwrap();
    assert_eq!(
        rules,
        vec![
            Rule::BelowTarget,
            Rule::PercentDrop { percent: d("10") },
            Rule::AmountDrop { amount: d("5.50") },
            Rule::NewLow { days: 30 },
            Rule::BackInStock,
            Rule::AnyChange,
        ]
    );
    assert_eq!(validate_rules(&rules), Ok(()));
    assert_eq!(
        serde_json::to_string(&rules[1]).unwrap(),
        r#"{"kind":"percent_drop","percent":"10"}"#
    );
    for (i, rule) in rules.iter().enumerate() {
        assert_eq!(rule.kind(), RuleKind::ALL[i]);
        assert_eq!(
            serde_json::to_value(rule).unwrap()["kind"],
            rule.kind().as_str()
        );
        assert_eq!(RuleKind::parse(rule.kind().as_str()), Some(rule.kind()));
    }
    assert!(serde_json::from_str::<Rule>(r#"{"kind":"sometimes"}"#).is_err());
    assert!(serde_json::from_str::<Rule>(r#"{"kind":"percent_drop"}"#).is_err());
    assert!(serde_json::from_str::<Rule>(r#"{"kind":"new_low","days":3,"extra":1}"#).is_err());
}

#[test]
fn bad_rules_name_their_field() {
    let cases = [
        (Rule::PercentDrop { percent: d("0") }, "percent"),
        (
            Rule::PercentDrop {
                percent: d("100.01"),
            },
            "percent",
        ),
        (Rule::PercentDrop { percent: d("-5") }, "percent"),
        (
            Rule::PercentDrop {
                percent: d("1.00001"),
            },
            "percent",
        ),
        (Rule::AmountDrop { amount: d("0") }, "amount"),
        (
            Rule::AmountDrop {
                amount: d("1000000000.5"),
            },
            "amount",
        ),
        (
            Rule::AmountDrop {
                amount: d("0.00001"),
            },
            "amount",
        ),
        (
            Rule::NewLow {
                days: MAX_NEW_LOW_DAYS + 1,
            },
            "days",
        ),
    ];
    for (rule, field) in cases {
        let err = validate_rules(&[Rule::BelowTarget, rule.clone()]).unwrap_err();
        assert_eq!(err.field(), format!("rules[1].{field}"), "{rule:?}");
        assert!(err.to_string().starts_with("rules[1]."), "{err}");
    }
    assert!(Rule::PercentDrop { percent: d("100") }.validate().is_ok());
    assert!(Rule::NewLow { days: 0 }.validate().is_ok());
    assert_eq!(validate_rules(&[]).unwrap_err().field(), "rules");
    let twice = [Rule::AnyChange, Rule::BelowTarget, Rule::AnyChange];
    assert_eq!(validate_rules(&twice).unwrap_err().field(), "rules[2].kind");
    let many = vec![Rule::AnyChange; MAX_RULES + 1];
    assert_eq!(validate_rules(&many), Err(InvalidRules::TooMany));
}

#[test]
fn the_issue_s_examples() {
    let target = "100";
    // A 10 % drop from the price at creation fires once; the same price again does not.
    let rule = Rule::PercentDrop { percent: d("10") };
    let s0 = RuleState::initial(&rule, Some(reading("200", Some(true))));
    let c1 = check(
        Some(reading("200", Some(true))),
        reading("180", Some(true)),
        target,
    );
    let d1 = evaluate(&rule, &s0, &c1, None);
    assert!(d1.fires);
    assert_eq!(d1.state.reference, Some(d("180")));
    let c2 = check(Some(c1.current), c1.current, target);
    assert!(!evaluate(&rule, &d1.state, &c2, None).fires);
    // 9 % is not enough.
    let c3 = check(Some(c1.current), reading("163.81", Some(true)), target);
    assert!(!evaluate(&rule, &d1.state, &c3, None).fires);
    // Out of stock, then in stock: once.
    let rule = Rule::BackInStock;
    let s0 = RuleState::initial(&rule, Some(reading("10", Some(true))));
    let out = check(
        Some(reading("10", Some(true))),
        reading("10", Some(false)),
        target,
    );
    let d1 = evaluate(&rule, &s0, &out, None);
    assert!(!d1.fires && d1.state.armed);
    let back = check(Some(out.current), reading("10", Some(true)), target);
    let d2 = evaluate(&rule, &d1.state, &back, None);
    assert!(d2.fires && !d2.state.armed);
    let still = check(Some(back.current), reading("10", Some(true)), target);
    assert!(!evaluate(&rule, &d2.state, &still, None).fires);
}

#[test]
fn a_drop_rule_without_a_price_takes_the_first_reading_as_reference() {
    let rule = Rule::AmountDrop { amount: d("5") };
    let s0 = RuleState::initial(&rule, None);
    assert_eq!(s0.reference, None);
    let c1 = check(None, reading("50", None), "1");
    let d1 = evaluate(&rule, &s0, &c1, None);
    assert!(!d1.fires);
    assert_eq!(d1.state.reference, Some(d("50")));
    let c2 = check(Some(c1.current), reading("45", None), "1");
    assert!(evaluate(&rule, &d1.state, &c2, None).fires);
}

#[test]
fn a_held_alert_is_told_on_a_later_check() {
    let rules = [Rule::BelowTarget, Rule::AnyChange];
    let watch = WatchRules {
        active: true,
        rules: &rules,
        states: &[],
    };
    let c1 = check(Some(reading("120", None)), reading("90", None), "100");
    let held = evaluate_watch(&watch, &c1, |_| None, Err(Held::Cooldown));
    assert!(!held.alerts());
    assert_eq!(held.held, Some(Held::Cooldown));
    assert!(held.states[0].armed, "below_target stays ready");
    // The same check again: nothing.
    let watch = WatchRules {
        states: &held.states,
        ..watch
    };
    assert!(!evaluate_watch(&watch, &c1, |_| None, Ok(())).alerts());
    // The next check, cooldown over: below_target tells it; the price did not change.
    let c2 = check(Some(c1.current), c1.current, "100");
    let told = evaluate_watch(&watch, &c2, |_| None, Ok(()));
    assert_eq!(told.fired, vec![RuleKind::BelowTarget]);
}

#[test]
fn a_paused_watch_changes_nothing() {
    let rules = [Rule::BelowTarget, Rule::BackInStock];
    let states = [
        RuleState::initial(&rules[0], None),
        RuleState {
            armed: true,
            reference: None,
            last_check: None,
        },
    ];
    let watch = WatchRules {
        active: false,
        rules: &rules,
        states: &states,
    };
    let c = check(
        Some(reading("10", Some(false))),
        reading("5", Some(true)),
        "100",
    );
    let out = evaluate_watch(&watch, &c, |_| None, Ok(()));
    assert!(!out.alerts());
    assert_eq!(out.states, states);
    assert!(!out.changed(&states));
}

// ---- properties ----

fn price() -> impl Strategy<Value = Decimal> {
    (1i64..=20_000).prop_map(|cents| Decimal::new(cents, 2))
}

fn stock() -> impl Strategy<Value = Option<bool>> {
    prop_oneof![Just(None), Just(Some(true)), Just(Some(false))]
}

fn any_reading() -> impl Strategy<Value = Reading> {
    (price(), stock()).prop_map(|(price, in_stock)| Reading { price, in_stock })
}

fn any_rule() -> impl Strategy<Value = Rule> {
    prop_oneof![
        Just(Rule::BelowTarget),
        (1i64..=10_000).prop_map(|p| Rule::PercentDrop {
            percent: Decimal::new(p, 2)
        }),
        price().prop_map(|amount| Rule::AmountDrop { amount }),
        (0u32..=MAX_NEW_LOW_DAYS).prop_map(|days| Rule::NewLow { days }),
        Just(Rule::BackInStock),
        Just(Rule::AnyChange),
    ]
}

fn any_state() -> impl Strategy<Value = RuleState> {
    (any::<bool>(), proptest::option::of(price())).prop_map(|(armed, reference)| RuleState {
        armed,
        reference,
        last_check: None,
    })
}

fn id(n: usize) -> Uuid {
    Uuid::from_u128(u128::try_from(n).unwrap() + 1)
}

/// Runs one rule over a sequence of readings (the first is the product's
/// reading when the rule was set), as the worker does check after check.
fn run(rule: &Rule, target: Decimal, readings: &[Reading]) -> Vec<bool> {
    let mut state = RuleState::initial(rule, readings.first().copied());
    let mut low: Option<Decimal> = readings.first().map(|r| r.price);
    let mut fires = Vec::new();
    for (i, pair) in readings.windows(2).enumerate() {
        let c = Check {
            id: id(i),
            previous: Some(pair[0]),
            current: pair[1],
            target,
        };
        let out = evaluate(rule, &state, &c, low);
        fires.push(out.fires);
        state = out.state;
        low = Some(low.map_or(pair[1].price, |l| l.min(pair[1].price)));
    }
    fires
}

proptest! {
    /// A check delivered twice, or the same reading read twice, never fires a
    /// rule a second time, whatever the rule and its state.
    #[test]
    fn no_double_fire_on_a_redelivered_check_or_a_repeated_reading(
        rule in any_rule(),
        state in any_state(),
        previous in proptest::option::of(any_reading()),
        current in any_reading(),
        target in price(),
        lowest in proptest::option::of(price()),
    ) {
        let first = Check { id: id(1), previous, current, target };
        let d1 = evaluate(&rule, &state, &first, lowest);
        // Redelivered: same id, and (as storage has moved on) the product already shows it.
        for previous in [previous, Some(current)] {
            let again = Check { previous, ..first };
            let d2 = evaluate(&rule, &d1.state, &again, lowest);
            prop_assert!(!d2.fires);
            prop_assert_eq!(&d2.state, &d1.state);
        }
        // The same reading on the next check.
        let next = Check { id: id(2), previous: Some(current), current, target };
        let lowest = Some(lowest.map_or(current.price, |l| l.min(current.price)));
        prop_assert!(!evaluate(&rule, &d1.state, &next, lowest).fires);
    }

    /// A watch without rules behaves exactly as the check's statement always
    /// has: an active, armed watch whose target is at or above the price fires
    /// and is disarmed; an active, disarmed one re-arms when the price is above
    /// the target; a paused one is left alone.
    #[test]
    fn below_target_is_todays_rule(
        target in price(),
        steps in proptest::collection::vec((any::<bool>(), price()), 1..40),
    ) {
        let rules = default_rules();
        let mut states = vec![RuleState::initial(&rules[0], None)];
        let mut armed = true; // the column's default
        let mut previous = None;
        for (i, &(active, price)) in steps.iter().enumerate() {
            // Today's SQL: `fired` and `rearmed` both read the rows as they were.
            let fires = active && armed && target >= price;
            let rearms = active && !armed && target < price;
            if fires { armed = false; }
            if rearms { armed = true; }

            let current = Reading { price, in_stock: None };
            let c = Check { id: id(i), previous, current, target };
            let watch = WatchRules { active, rules: &rules, states: &states };
            let out = evaluate_watch(&watch, &c, |_| None, Ok(()));
            prop_assert_eq!(out.alerts(), fires);
            prop_assert_eq!(out.states[0].armed, armed);
            states = out.states;
            previous = Some(current);
        }
    }

    /// The drop rules fire exactly when the price is at least the drop below
    /// the reference, and the reference moves only when they fire.
    #[test]
    fn drops_fire_from_the_last_fired_price(
        percent in 1i64..=10_000,
        amount in price(),
        readings in proptest::collection::vec(any_reading(), 1..40),
    ) {
        let percent = Decimal::new(percent, 2);
        for rule in [Rule::PercentDrop { percent }, Rule::AmountDrop { amount }] {
            let fires = run(&rule, Decimal::ONE, &readings);
            let mut reference = readings[0].price;
            for (i, r) in readings[1..].iter().enumerate() {
                let drop = reference - r.price;
                let expected = match rule {
                    Rule::PercentDrop { percent } => drop * Decimal::ONE_HUNDRED >= reference * percent,
                    _ => drop >= amount,
                };
                prop_assert_eq!(fires[i], expected, "{:?} at {} from {}", rule, r.price, reference);
                if expected { reference = r.price; }
            }
        }
    }

    /// `new_low` fires exactly on a price below every earlier one; `any_change`
    /// exactly on a price different from the one before.
    #[test]
    fn new_low_and_any_change_follow_the_history(readings in proptest::collection::vec(any_reading(), 1..40)) {
        let lows = run(&Rule::NewLow { days: 0 }, Decimal::ONE, &readings);
        let changes = run(&Rule::AnyChange, Decimal::ONE, &readings);
        for i in 1..readings.len() {
            let lowest_before = readings[..i].iter().map(|r| r.price).min().unwrap();
            prop_assert_eq!(lows[i - 1], readings[i].price < lowest_before);
            prop_assert_eq!(changes[i - 1], readings[i].price != readings[i - 1].price);
        }
    }

    /// `back_in_stock` fires exactly when the product is in stock and the last
    /// stock state known before was out of stock.
    #[test]
    fn back_in_stock_rearms_on_out_of_stock(readings in proptest::collection::vec(any_reading(), 1..40)) {
        let fires = run(&Rule::BackInStock, Decimal::ONE, &readings);
        let mut last_known = readings[0].in_stock;
        for (i, r) in readings[1..].iter().enumerate() {
            prop_assert_eq!(fires[i], r.in_stock == Some(true) && last_known == Some(false));
            if r.in_stock.is_some() { last_known = r.in_stock; }
        }
    }

    /// A rule held back by the cooldown or the cap fires on the next check if
    /// its event still holds (the same reading again).
    #[test]
    fn a_held_stateful_rule_fires_later(
        rule in prop_oneof![
            Just(Rule::BelowTarget),
            (1i64..=10_000).prop_map(|p| Rule::PercentDrop { percent: Decimal::new(p, 2) }),
            price().prop_map(|amount| Rule::AmountDrop { amount }),
            Just(Rule::BackInStock),
        ],
        state in any_state(),
        previous in any_reading(),
        current in any_reading(),
        target in price(),
    ) {
        let rules = [rule];
        let states = [state];
        let first = Check { id: id(1), previous: Some(previous), current, target };
        let watch = WatchRules { active: true, rules: &rules, states: &states };
        let told = evaluate_watch(&watch, &first, |_| None, Ok(()));
        let held = evaluate_watch(&watch, &first, |_| None, Err(Held::DailyCap));
        prop_assert!(!held.alerts());
        prop_assert_eq!(held.held.is_some(), told.alerts());
        if told.alerts() {
            let watch = WatchRules { states: &held.states, ..watch };
            // The next check reads the same again; the product already shows it.
            let later = Check { id: id(2), previous: Some(current), ..first };
            prop_assert!(evaluate_watch(&watch, &later, |_| None, Ok(())).alerts());
        }
    }
}

#[test]
fn replaced_rules_keep_the_states_of_those_that_stay() {
    let ten = Rule::PercentDrop {
        percent: Decimal::TEN,
    };
    let old_rules = [Rule::BelowTarget, ten.clone()];
    let old_states = [
        RuleState {
            armed: false,
            reference: None,
            last_check: Some(Uuid::nil()),
        },
        RuleState {
            armed: false,
            reference: Some(Decimal::ONE_HUNDRED),
            last_check: None,
        },
    ];
    let now = Reading {
        price: Decimal::new(80, 0),
        in_stock: Some(false),
    };
    let states = carry_states(
        &old_rules,
        &old_states,
        &[Rule::BackInStock, ten, Rule::BelowTarget],
        Some(now),
    );
    assert!(
        states[0].armed,
        "a new back_in_stock rule is armed while out of stock"
    );
    assert_eq!(states[1].reference, Some(Decimal::ONE_HUNDRED), "kept");
    assert!(!states[2].armed, "a disarmed target rule stays disarmed");
    assert_eq!(states[2].last_check, None);
    let other = carry_states(
        &old_rules,
        &old_states,
        &[Rule::PercentDrop {
            percent: Decimal::ONE,
        }],
        Some(now),
    );
    assert_eq!(
        other[0].reference,
        Some(Decimal::new(80, 0)),
        "a changed rule starts anew"
    );
}
