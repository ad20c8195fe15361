//! The price history chart of an alert email: a PNG of the product's readings
//! over the last [`WINDOW_DAYS`] days as a step line (a price holds until the
//! next reading), the watch's target as a dashed line. Drawn with tiny-skia:
//! pure Rust, no font and no system library, so the picture has no text; the
//! email says the figures beside it ([`Summary`]).
//! (Floats here are pixel positions only; money stays `Decimal`.)

use chrono::{DateTime, Duration, Utc};
use diesel::QueryResult;
use pricewatch_domain::money::chart_range;
use pricewatch_storage::AsyncPgConnection;
use pricewatch_storage::models::PricePoint;
use pricewatch_storage::queries::notifications::EmailDetails;
use pricewatch_storage::queries::watch_views;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use tiny_skia::{
    Color, FillRule, LineJoin, Paint, PathBuilder, Pixmap, Stroke, StrokeDash, Transform,
};
use uuid::Uuid;

/// The period the chart shows.
pub const WINDOW_DAYS: i64 = 90;
/// Readings loaded at most: more than the chart has pixels across.
const MAX_READINGS: i64 = 2000;
pub const WIDTH: u32 = 600;
pub const HEIGHT: u32 = 200;
const LEFT: f32 = 8.0;
const RIGHT: f32 = 592.0;
const TOP: f32 = 14.0;
const BOTTOM: f32 = 186.0;

/// A product's readings over the chart's window.
#[derive(Debug, Clone)]
pub struct History {
    /// Oldest first.
    pub readings: Vec<PricePoint>,
    /// The last reading before the window: the line starts at its level.
    pub before: Option<PricePoint>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The lowest, highest and latest price over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub lowest: Decimal,
    pub highest: Decimal,
    pub latest: Decimal,
}

/// The picture and the figures that stand for it in text.
#[derive(Debug, Clone)]
pub struct PriceChart {
    pub png: Vec<u8>,
    pub summary: Summary,
}

impl History {
    /// The product's readings in `currency` over the [`WINDOW_DAYS`] days
    /// before `now` (the web app's history query).
    pub async fn load(
        conn: &mut AsyncPgConnection,
        product_id: Uuid,
        currency: &str,
        now: DateTime<Utc>,
    ) -> QueryResult<Self> {
        let since = now - Duration::days(WINDOW_DAYS);
        let (mut readings, mut before) =
            watch_views::history(conn, product_id, Some(since), MAX_READINGS).await?;
        if i64::try_from(readings.len()).unwrap_or(i64::MAX) >= MAX_READINGS {
            // Only the newest readings came: the line starts at the first of them.
            before = None;
        }
        // A shop that changed currency: the other currency's prices are no levels of this one.
        let same = |r: &PricePoint| r.currency.trim() == currency.trim();
        readings.retain(same);
        before = before.filter(same);
        let from = window_start(since, before.as_ref(), &readings);
        Ok(Self {
            readings,
            before,
            from,
            to: now,
        })
    }

    /// The history for an alert email's chart: its product's, in its
    /// currency. `None` (the email goes without the chart) when it cannot be read.
    pub async fn for_email(conn: &mut AsyncPgConnection, details: &EmailDetails) -> Option<Self> {
        let n = &details.notification;
        match Self::load(conn, n.product_id, &n.currency, Utc::now()).await {
            Ok(history) => Some(history),
            Err(error) => {
                tracing::warn!(notification_id = %n.id, %error, "cannot read the price history: the email goes without its chart");
                None
            }
        }
    }

    /// `None` with fewer than two prices: nothing to draw.
    pub fn summary(&self) -> Option<Summary> {
        let levels: Vec<Decimal> = self
            .before
            .iter()
            .chain(&self.readings)
            .map(|r| r.amount)
            .collect();
        if levels.len() < 2 {
            return None;
        }
        Some(Summary {
            lowest: levels.iter().copied().min()?,
            highest: levels.iter().copied().max()?,
            latest: *levels.last()?,
        })
    }
}

/// Where the chart's time axis starts: the window's start when a price from
/// before it holds there, else the first reading (a product watched for less
/// than the window, or more readings than were loaded), so that a young
/// product's line spans the picture instead of its last few pixels.
fn window_start(
    since: DateTime<Utc>,
    before: Option<&PricePoint>,
    readings: &[PricePoint],
) -> DateTime<Utc> {
    match (before, readings.first()) {
        (None, Some(first)) => first.observed_at.max(since),
        _ => since,
    }
}

fn f(amount: Decimal) -> f32 {
    amount.to_f32().unwrap_or(0.0)
}

/// The chart of `history` with the `target` line; `None` when there is too
/// little to draw (fewer than two prices).
pub fn draw(history: &History, target: Decimal) -> Option<PriceChart> {
    let summary = history.summary()?;
    let lo = summary.lowest.min(target);
    let hi = summary.highest.max(target);
    let (lo_v, hi_v) = chart_range(lo, hi);
    let (lo_v, hi_v) = (f(lo_v), f(hi_v));
    let span = (hi_v - lo_v).max(f32::EPSILON);
    let y = |amount: Decimal| BOTTOM - (f(amount) - lo_v) / span * (BOTTOM - TOP);
    let seconds = (history.to - history.from).num_seconds().max(1) as f32;
    let x = |at: &DateTime<Utc>| {
        let share = (*at - history.from).num_seconds() as f32 / seconds;
        LEFT + share.clamp(0.0, 1.0) * (RIGHT - LEFT)
    };

    // The step line's corners: each price holds until the next reading, the last until now.
    let mut corners: Vec<(f32, f32)> = Vec::new();
    if let Some(b) = &history.before {
        corners.push((LEFT, y(b.amount)));
    }
    for r in &history.readings {
        let (xx, yy) = (x(&r.observed_at), y(r.amount));
        if let Some(&(_, held)) = corners.last() {
            corners.push((xx, held));
        }
        corners.push((xx, yy));
    }
    let &(start_x, _) = corners.first()?;
    let &(_, last_y) = corners.last()?;
    corners.push((RIGHT, last_y));

    let mut pixmap = Pixmap::new(WIDTH, HEIGHT)?;
    pixmap.fill(Color::WHITE);
    let identity = Transform::identity();
    let paint = |r, g, b, a| {
        let mut paint = Paint::default();
        paint.set_color_rgba8(r, g, b, a);
        paint
    };

    // Light rules at the lowest and highest prices.
    let mut rules = PathBuilder::new();
    for level in [summary.lowest, summary.highest] {
        rules.move_to(LEFT, y(level));
        rules.line_to(RIGHT, y(level));
    }
    let thin = Stroke {
        width: 1.0,
        ..Stroke::default()
    };
    pixmap.stroke_path(
        &rules.finish()?,
        &paint(210, 214, 220, 255),
        &thin,
        identity,
        None,
    );

    // The area under the line, then the line.
    let mut area = PathBuilder::new();
    area.move_to(start_x, BOTTOM);
    for &(cx, cy) in &corners {
        area.line_to(cx, cy);
    }
    area.line_to(RIGHT, BOTTOM);
    area.close();
    pixmap.fill_path(
        &area.finish()?,
        &paint(37, 99, 235, 36),
        FillRule::Winding,
        identity,
        None,
    );
    let mut line = PathBuilder::new();
    line.move_to(start_x, corners.first()?.1);
    for &(cx, cy) in &corners[1..] {
        line.line_to(cx, cy);
    }
    let bold = Stroke {
        width: 2.5,
        line_join: LineJoin::Miter,
        ..Stroke::default()
    };
    pixmap.stroke_path(
        &line.finish()?,
        &paint(37, 99, 235, 255),
        &bold,
        identity,
        None,
    );

    // The target, dashed.
    let mut target_line = PathBuilder::new();
    target_line.move_to(LEFT, y(target));
    target_line.line_to(RIGHT, y(target));
    let dashed = Stroke {
        width: 1.5,
        dash: StrokeDash::new(vec![6.0, 4.0], 0.0),
        ..Stroke::default()
    };
    pixmap.stroke_path(
        &target_line.finish()?,
        &paint(22, 163, 74, 255),
        &dashed,
        identity,
        None,
    );

    // The latest reading, marked.
    let last = history.readings.last().or(history.before.as_ref())?;
    let dot = PathBuilder::from_circle(x(&last.observed_at).max(start_x), last_y, 4.0)?;
    pixmap.fill_path(
        &dot,
        &paint(37, 99, 235, 255),
        FillRule::Winding,
        identity,
        None,
    );

    let png = pixmap.encode_png().ok()?;
    Some(PriceChart { png, summary })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn reading(days_ago: i64, amount: &str) -> PricePoint {
        PricePoint {
            id: 1,
            product_id: Uuid::nil(),
            job_id: Uuid::nil(),
            amount: Decimal::from_str(amount).unwrap(),
            currency: "EUR".into(),
            in_stock: Some(true),
            observed_at: Utc::now() - Duration::days(days_ago),
        }
    }

    fn history(readings: Vec<PricePoint>, before: Option<PricePoint>) -> History {
        History {
            readings,
            before,
            from: Utc::now() - Duration::days(WINDOW_DAYS),
            to: Utc::now(),
        }
    }

    #[test]
    fn two_prices_or_more_make_a_png_with_its_figures() {
        let h = history(
            vec![
                reading(60, "24.50"),
                reading(30, "18.50"),
                reading(1, "19.99"),
            ],
            Some(reading(120, "25.00")),
        );
        let chart = draw(&h, Decimal::from(20)).unwrap();
        assert!(chart.png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(
            &chart.png[16..24],
            &[0, 0, 2, 88, 0, 0, 0, 200],
            "600 × 200"
        );
        assert_eq!(
            chart.summary,
            Summary {
                lowest: Decimal::from_str("18.50").unwrap(),
                highest: Decimal::from_str("25.00").unwrap(),
                latest: Decimal::from_str("19.99").unwrap(),
            }
        );
        // A flat history draws too.
        assert!(
            draw(
                &history(vec![reading(2, "5"), reading(1, "5")], None),
                Decimal::ONE
            )
            .is_some()
        );
    }

    #[test]
    fn a_young_product_s_chart_starts_at_its_first_reading() {
        let since = Utc::now() - Duration::days(WINDOW_DAYS);
        let readings = vec![reading(2, "10"), reading(1, "9")];
        assert_eq!(
            window_start(since, None, &readings),
            readings[0].observed_at
        );
        assert_eq!(
            window_start(since, Some(&reading(100, "11")), &readings),
            since
        );
        assert_eq!(window_start(since, None, &[]), since);
    }

    #[test]
    fn no_reading_or_one_draws_nothing() {
        assert!(draw(&history(vec![], None), Decimal::from(20)).is_none());
        assert!(draw(&history(vec![reading(1, "19.99")], None), Decimal::from(20)).is_none());
        assert!(
            draw(
                &history(vec![], Some(reading(100, "19.99"))),
                Decimal::from(20)
            )
            .is_none()
        );
    }
}
