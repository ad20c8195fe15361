//! Price charts drawn on the server as inline SVG: no script, no image
//! request, readable by screen readers through `<title>` and `<desc>`.
//! Prices hold their level until the next reading, so the line is a step line.
//! (Floats here are pixel positions only; money stays `Decimal`.)

use std::fmt::Write;

use chrono::{DateTime, Utc};
use pricewatch_domain::money::chart_range;
use pricewatch_storage::models::PricePoint;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

fn f(amount: Decimal) -> f64 {
    amount.to_f64().unwrap_or(0.0)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The step path through `(x, y)` points, held flat to `end_x`.
fn step_path(points: &[(f64, f64)], end_x: f64) -> String {
    let mut d = String::new();
    for (i, (x, y)) in points.iter().enumerate() {
        if i == 0 {
            let _ = write!(d, "M{x:.1} {y:.1}");
        } else {
            let _ = write!(d, " H{x:.1} V{y:.1}");
        }
    }
    if !points.is_empty() {
        let _ = write!(d, " H{end_x:.1}");
    }
    d
}

/// A small chart of recent prices for the watch list (120 × 32).
pub fn sparkline(readings: &[&PricePoint], label: &str) -> String {
    const W: f64 = 120.0;
    const H: f64 = 32.0;
    if readings.len() < 2 {
        return String::new();
    }
    let (lo, hi) = readings.iter().fold((f64::MAX, f64::MIN), |(lo, hi), r| {
        (lo.min(f(r.amount)), hi.max(f(r.amount)))
    });
    let t0 = readings[0].observed_at.timestamp() as f64;
    let t1 = (Utc::now().timestamp() as f64).max(t0 + 1.0);
    let span = (hi - lo).max(f64::EPSILON);
    let points: Vec<(f64, f64)> = readings
        .iter()
        .map(|r| {
            let x = (r.observed_at.timestamp() as f64 - t0) / (t1 - t0) * W;
            let y = if hi > lo {
                2.0 + (hi - f(r.amount)) / span * (H - 4.0)
            } else {
                H / 2.0
            };
            (x, y)
        })
        .collect();
    format!(
        r#"<svg class="sparkline" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{}"><path d="{}" fill="none" stroke="currentColor" stroke-width="1.5"/></svg>"#,
        escape(label),
        step_path(&points, W)
    )
}

/// What the product page's chart shows.
pub struct ChartInput<'a> {
    /// Readings in the window, oldest first.
    pub readings: &'a [PricePoint],
    /// The last reading before the window: the line starts at its level.
    pub before: Option<&'a PricePoint>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub target: Option<Decimal>,
    pub title: String,
    pub description: String,
    pub target_label: String,
    pub out_of_stock_label: String,
    pub back_in_stock_label: String,
    /// Formats a price for the axis labels.
    pub money: &'a dyn Fn(Decimal) -> String,
    /// Formats a time for the axis labels.
    pub day: &'a dyn Fn(&DateTime<Utc>) -> String,
}

/// The product page's price history chart (720 × 260, scales with the page).
pub fn price_chart(input: &ChartInput<'_>) -> String {
    const W: f64 = 720.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 8.0;
    const RIGHT: f64 = 712.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 228.0;
    let mut levels: Vec<Decimal> = input.readings.iter().map(|r| r.amount).collect();
    if let Some(b) = input.before {
        levels.push(b.amount);
    }
    if levels.is_empty() {
        return String::new();
    }
    if let Some(t) = input.target {
        levels.push(t);
    }
    let lo = levels.iter().copied().min().unwrap_or_default();
    let hi = levels.iter().copied().max().unwrap_or_default();
    let (lo_v, hi_v) = chart_range(lo, hi);
    let (lo_v, hi_v) = (f(lo_v), f(hi_v));
    let t0 = input.from.timestamp() as f64;
    let t1 = (input.to.timestamp() as f64).max(t0 + 1.0);
    let x = |at: &DateTime<Utc>| {
        LEFT + ((at.timestamp() as f64 - t0) / (t1 - t0)).clamp(0.0, 1.0) * (RIGHT - LEFT)
    };
    let y = |amount: Decimal| {
        BOTTOM - (f(amount) - lo_v) / (hi_v - lo_v).max(f64::EPSILON) * (BOTTOM - TOP)
    };
    let mut points: Vec<(f64, f64)> = Vec::new();
    if let Some(b) = input.before {
        points.push((LEFT, y(b.amount)));
    }
    for r in input.readings {
        points.push((x(&r.observed_at), y(r.amount)));
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="chart-title chart-desc"><title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
        escape(&input.title),
        escape(&input.description)
    );
    // Grid: the lowest and highest levels.
    for level in [lo, hi] {
        let yy = y(level);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{RIGHT}" y1="{yy:.1}" y2="{yy:.1}"/><text class="axis" x="{RIGHT}" y="{:.1}" text-anchor="end">{}</text>"#,
            yy - 4.0,
            escape(&(input.money)(level))
        );
    }
    if let Some(t) = input.target {
        let yy = y(t);
        let _ = write!(
            svg,
            r#"<line class="target" x1="{LEFT}" x2="{RIGHT}" y1="{yy:.1}" y2="{yy:.1}"/><text class="target-label" x="{LEFT}" y="{:.1}">{} {}</text>"#,
            yy - 4.0,
            escape(&input.target_label),
            escape(&(input.money)(t))
        );
    }
    let _ = write!(
        svg,
        r#"<path class="line" d="{}" fill="none"/>"#,
        step_path(&points, RIGHT)
    );
    // Stock changes: a marker where a reading's stock differs from the one before.
    let mut last_stock = input.before.and_then(|b| b.in_stock);
    for r in input.readings {
        if let (Some(before), Some(now)) = (last_stock, r.in_stock)
            && before != now
        {
            let label = if now {
                &input.back_in_stock_label
            } else {
                &input.out_of_stock_label
            };
            let class = if now { "stock-in" } else { "stock-out" };
            let _ = write!(
                svg,
                r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="5"><title>{} ({})</title></circle>"#,
                x(&r.observed_at),
                y(r.amount),
                escape(label),
                escape(&(input.day)(&r.observed_at))
            );
        }
        if r.in_stock.is_some() {
            last_stock = r.in_stock;
        }
    }
    let _ = write!(
        svg,
        r#"<text class="axis" x="{LEFT}" y="{:.1}">{}</text><text class="axis" x="{RIGHT}" y="{:.1}" text-anchor="end">{}</text></svg>"#,
        H - 12.0,
        escape(&(input.day)(&input.from)),
        H - 12.0,
        escape(&(input.day)(&input.to))
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use uuid::Uuid;

    fn reading(hours_ago: i64, amount: &str, in_stock: bool) -> PricePoint {
        PricePoint {
            id: 1,
            product_id: Uuid::nil(),
            job_id: Uuid::nil(),
            amount: Decimal::from_str(amount).unwrap(),
            currency: "EUR".into(),
            in_stock: Some(in_stock),
            observed_at: Utc::now() - chrono::Duration::hours(hours_ago),
        }
    }

    #[test]
    fn the_chart_steps_marks_stock_and_draws_the_target() {
        let readings = [
            reading(48, "100", true),
            reading(24, "90", false),
            reading(2, "80", true),
        ];
        let money = |d: Decimal| format!("€{d}");
        let day = |_: &DateTime<Utc>| "day".to_owned();
        let svg = price_chart(&ChartInput {
            readings: &readings,
            before: None,
            from: Utc::now() - chrono::Duration::days(3),
            to: Utc::now(),
            target: Some(Decimal::from(85)),
            title: "Price <history>".into(),
            description: "d".into(),
            target_label: "Target".into(),
            out_of_stock_label: "Out of stock".into(),
            back_in_stock_label: "Back in stock".into(),
            money: &money,
            day: &day,
        });
        assert!(svg.contains("Price &lt;history&gt;"));
        assert_eq!(svg.matches(" H").count(), 3, "{svg}");
        assert!(svg.contains("class=\"stock-out\"") && svg.contains("class=\"stock-in\""));
        assert!(svg.contains("Target €85"));
        assert!(sparkline(&readings.iter().collect::<Vec<_>>(), "x").contains("<path"));
        assert!(sparkline(&[], "x").is_empty());
    }
}
