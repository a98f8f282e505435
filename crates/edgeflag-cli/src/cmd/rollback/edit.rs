//! The three edits, each confined to the flag's own TOML: kill switch, partial
//! rollback, stage cut. Every other byte of the file is left alone.

use edgeflag::FlagDef;
use toml_edit::{ArrayOfTables, InlineTable, Item, Value};

use super::{Place, rollback_variant};
use crate::error::Result;

/// Replaces a value, keeping its decor so a trailing comment stays on its line.
fn replace_value(item: &mut Item, new: Value) {
    match item {
        Item::Value(old) => {
            let decor = old.decor().clone();
            *old = new;
            *old.decor_mut() = decor;
        }
        other => *other = Item::Value(new),
    }
}

fn is_true(item: Option<&Item>) -> bool {
    item.and_then(Item::as_bool) == Some(true)
}

/// Full rollback: the kill switch. An environment override that says
/// `enabled = true` would keep that environment on, so it is switched off too.
pub(super) fn kill(place: &Place, def: &FlagDef, flag: &mut Item) -> Result<String> {
    let table = flag
        .as_table_like_mut()
        .ok_or_else(|| place.err("", "is not a table"))?;
    let mut envs = Vec::new();
    if let Some(env) = table.get_mut("env").and_then(Item::as_table_like_mut) {
        for (name, over) in env.iter_mut() {
            let Some(over) = over.as_table_like_mut() else {
                continue;
            };
            if let Some(item) = over.get_mut("enabled").filter(|i| is_true(Some(i))) {
                replace_value(item, Value::from(false));
                envs.push(name.get().to_owned());
            }
        }
    }
    let base_off = def.enabled == Some(false);
    if base_off && envs.is_empty() {
        return Err(place.err(
            "enabled",
            "already false: the flag is switched off everywhere, nothing to change",
        ));
    }
    if !base_off {
        match table.get_mut("enabled") {
            Some(item) => replace_value(item, Value::from(false)),
            None => insert_last(flag, "enabled", Item::Value(Value::from(false))),
        }
    }
    let serve = rollback_variant(def).unwrap_or_default();
    let mut changed = format!(
        "{}: full rollback: enabled = false, everyone gets \"{serve}\" (DISABLED)",
        place.flag
    );
    if !envs.is_empty() {
        changed.push_str(&format!(
            "; also enabled = false in env {} (it overrode the base)",
            envs.join(", ")
        ));
    }
    Ok(changed)
}

/// Appends in the style the file already uses for this flag's rollbacks.
pub(super) fn append_rollback(place: &Place, flag: &mut Item, entry: InlineTable) -> Result<()> {
    // A flag written on one line (inline or dotted keys) gets its rollback on
    // that line's level too, not a table header far from it.
    let inline_flag = flag.is_inline_table() || flag.as_table().is_some_and(|t| t.is_dotted());
    let table = flag
        .as_table_like_mut()
        .ok_or_else(|| place.err("", "is not a table"))?;
    match table.get_mut("rollbacks") {
        Some(Item::ArrayOfTables(list)) => {
            list.push(as_table(entry));
        }
        Some(Item::Value(Value::Array(list))) => {
            let mut value = Value::InlineTable(entry);
            // Line up with the entries before it (one per line, or all on one).
            match list.iter().last() {
                Some(last) => {
                    *value.decor_mut() = last.decor().clone();
                    list.push_formatted(value);
                }
                None => list.push(value),
            }
        }
        Some(_) => return Err(place.err("rollbacks", "is neither an array nor tables")),
        None if inline_flag => {
            let mut list = toml_edit::Array::new();
            list.push(Value::InlineTable(entry));
            insert_last(flag, "rollbacks", Item::Value(Value::Array(list)));
        }
        None => {
            // A new array of tables has no document position, so it renders
            // after the flag's last table: still inside the flag's region.
            let mut list = ArrayOfTables::new();
            list.push(as_table(entry));
            table.insert("rollbacks", Item::ArrayOfTables(list));
        }
    }
    Ok(())
}

/// Appends a key to the flag. In an inline table the space before `}` belongs
/// to the last value, so it moves to the new last value.
fn insert_last(flag: &mut Item, key: &str, item: Item) {
    match (flag.as_inline_table_mut(), item) {
        (Some(table), Item::Value(mut value)) => {
            if let Some((_, last)) = table.iter_mut().last() {
                let end = last.decor().suffix().cloned();
                last.decor_mut().set_suffix("");
                value.decor_mut().set_prefix(" ");
                if let Some(end) = end {
                    value.decor_mut().set_suffix(end);
                }
            }
            table.insert(key, value);
        }
        (_, item) => {
            if let Some(table) = flag.as_table_like_mut() {
                table.insert(key, item);
            }
        }
    }
}

fn as_table(entry: InlineTable) -> toml_edit::Table {
    let mut t = entry.into_table();
    t.decor_mut().set_prefix("\n");
    // Several conditions read best one per line, as segments write them.
    if let Some(list) = t
        .get_mut("match")
        .and_then(Item::as_array_mut)
        .filter(|l| l.len() > 1)
    {
        for v in list.iter_mut() {
            v.decor_mut().set_prefix("\n  ");
            v.decor_mut().set_suffix("");
        }
        list.set_trailing_comma(true);
        list.set_trailing("\n");
    }
    t
}

/// Stage rollback: bucketing is monotonic in the percentage, so cutting the
/// schedule takes the feature away from the most recently added users only.
/// With `rule`, the schedule is that targeting rule's own rollout.
pub(super) fn cut_stages(
    place: &Place,
    def: &FlagDef,
    flag: &mut Item,
    n: usize,
    rule: Option<&str>,
) -> Result<String> {
    let (rollout, field, what) = match rule {
        None => (
            def.rollout.as_ref(),
            "rollout.stages".to_owned(),
            "rollout".to_owned(),
        ),
        Some(name) => {
            let Some(i) = def
                .rules
                .iter()
                .position(|r| r.name.as_deref() == Some(name))
            else {
                let named: Vec<String> = def
                    .rules
                    .iter()
                    .filter_map(|r| r.name.as_ref().map(|n| format!("`{n}`")))
                    .collect();
                let has = if named.is_empty() {
                    "no named rules".to_owned()
                } else {
                    format!("the rules {}", named.join(", "))
                };
                return Err(place.err(
                    "--rule",
                    format!("unknown rule `{name}`; the flag has {has}"),
                ));
            };
            let r = def.rules.get(i);
            if let Some(serve) = r.and_then(|r| r.serve.as_deref()) {
                return Err(place.err(
                    "--rule",
                    format!(
                        "rule `{name}` serves `{serve}` to everyone it matches and has no \
                         staged rollout; use a partial rollback"
                    ),
                ));
            }
            (
                r.and_then(|r| r.rollout.as_ref()),
                format!("rules[{i}].rollout.stages"),
                format!("rule `{name}` rollout"),
            )
        }
    };
    let stages = rollout.map(|r| r.stages.as_slice()).unwrap_or_default();
    if stages.is_empty() {
        let whose = match rule {
            None => "the flag has no staged rollout in its base plan".to_owned(),
            Some(name) => format!("rule `{name}` has no staged rollout in the base plan"),
        };
        return Err(place.err(&field, format!("{whose}; use a full or partial rollback")));
    }
    let len = stages.len();
    if len == 1 {
        return Err(place.err(
            "--to-stage",
            format!(
                "the {what} has a single stage, there is nothing to cut back to; \
                 use a full or partial rollback"
            ),
        ));
    }
    let valid = format!("give 1 to {} to drop the later stages", len - 1);
    if n == len {
        return Err(place.err(
            "--to-stage",
            format!(
                "the {what} already ends at stage {len} of {len}; cutting to it changes \
                 nothing ({valid})"
            ),
        ));
    }
    if n == 0 || n > len {
        return Err(place.err(
            "--to-stage",
            format!("stage {n} is out of range: the {what} has {len} stages; {valid}"),
        ));
    }
    let table = flag.as_table_like_mut();
    let plan = match rule {
        None => table.and_then(|t| t.get_mut("rollout")),
        Some(name) => table
            .and_then(|t| t.get_mut("rules"))
            .and_then(|rules| rule_table(rules, name))
            .and_then(|r| r.get_mut("rollout")),
    };
    let item = plan
        .and_then(Item::as_table_like_mut)
        .and_then(|r| r.get_mut("stages"))
        .ok_or_else(|| place.err(&field, "not found in the file"))?;
    match item {
        Item::Value(Value::Array(list)) if list.len() == len => {
            while list.len() > n {
                list.remove(list.len() - 1);
            }
        }
        Item::ArrayOfTables(list) if list.len() == len => {
            while list.len() > n {
                list.remove(list.len() - 1);
            }
        }
        _ => return Err(place.err(&field, "has an unexpected shape in the file")),
    }
    let kept = stages
        .get(n - 1)
        .map_or(String::new(), |s| format!("{}% from {}", s.percent, s.at));
    let removed: Vec<String> = stages
        .iter()
        .enumerate()
        .skip(n)
        .map(|(i, s)| format!("stage {} ({}% at {})", i + 1, s.percent, s.at))
        .collect();
    let mut changed = format!(
        "{}: {what} cut back to stage {n} of {len} ({kept}); removed {}",
        place.flag,
        removed.join(", ")
    );
    let own: Vec<&str> = def
        .env
        .iter()
        .filter(|(_, o)| match rule {
            None => o.rollout.is_some(),
            Some(_) => o.rules.is_some(),
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if !own.is_empty() {
        let part = if rule.is_some() { "rules" } else { "rollout" };
        changed.push_str(&format!(
            "; env {} keeps its own {part}, unchanged",
            own.join(", ")
        ));
    }
    Ok(changed)
}

/// The rule named `name` in the file's `rules`, written as tables or inline.
fn rule_table<'a>(rules: &'a mut Item, name: &str) -> Option<&'a mut dyn toml_edit::TableLike> {
    let named = |t: &dyn toml_edit::TableLike| t.get("name").and_then(Item::as_str) == Some(name);
    match rules {
        Item::ArrayOfTables(list) => list
            .iter_mut()
            .find(|t| named(*t))
            .map(|t| t as &mut dyn toml_edit::TableLike),
        Item::Value(Value::Array(list)) => list
            .iter_mut()
            .filter_map(Value::as_inline_table_mut)
            .find(|t| named(*t))
            .map(|t| t as &mut dyn toml_edit::TableLike),
        _ => None,
    }
}
