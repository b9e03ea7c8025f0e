//! The figures of a run, each the median of its samples, with its floor,
//! ratio and target; written as `report.md` and `report.json`.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// What a figure is held to.
#[derive(Debug, Clone, Copy, Serialize)]
pub enum Target {
    /// The ratio to the floor at most this.
    RatioAtMost(f64),
    /// The value at most this, in the figure's unit.
    AtMost(f64),
    /// Reported only.
    None,
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub name: String,
    /// `sqlite`, `postgres`, or empty when the engine plays no part.
    pub engine: String,
    pub unit: &'static str,
    pub value: f64,
    pub floor: Option<f64>,
    pub ratio: Option<f64>,
    pub target: Target,
    /// Whether the target holds (None: no target, or not judged at this size).
    pub met: Option<bool>,
    pub samples: Vec<f64>,
}

/// One figure's samples and floors, its unit and target.
struct Series {
    values: Vec<f64>,
    floors: Vec<f64>,
    unit: &'static str,
    target: Target,
}

/// Samples gathered run after run, by figure and engine.
#[derive(Default)]
pub struct Samples {
    order: Vec<(String, String)>,
    series: BTreeMap<(String, String), Series>,
    /// What the report says besides the figures (what was not measured, and
    /// why; what takes the wasm's space).
    notes: Vec<String>,
}

impl Samples {
    pub fn note(&mut self, text: String) {
        self.notes.push(text);
    }

    pub fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    /// One sample of `name` on `engine`, with its floor measured in the
    /// same run, if it has one.
    pub fn add(
        &mut self,
        name: &str,
        engine: &str,
        unit: &'static str,
        value: f64,
        floor: Option<f64>,
        target: Target,
    ) {
        eprintln!("bench   {name} [{engine}]: {value:.3} {unit} (floor {floor:?})");
        let key = (name.to_owned(), engine.to_owned());
        let series = self.series.entry(key.clone()).or_insert_with(|| {
            self.order.push(key.clone());
            Series {
                values: Vec::new(),
                floors: Vec::new(),
                unit,
                target,
            }
        });
        series.values.push(value);
        series.floors.extend(floor);
    }

    /// The medians, in the order first seen; targets judged when `judge`.
    pub fn figures(&self, judge: bool) -> Vec<Figure> {
        self.order
            .iter()
            .map(|key| {
                let Series {
                    values,
                    floors,
                    unit,
                    target,
                } = &self.series[key];
                let value = median(values);
                let floor = (!floors.is_empty()).then(|| median(floors));
                let ratio = floor.filter(|f| *f > 0.0).map(|f| value / f);
                let met = match (judge, target, ratio) {
                    (false, _, _) => None,
                    (true, Target::RatioAtMost(max), Some(r)) => Some(r <= *max),
                    (true, Target::AtMost(max), _) => Some(value <= *max),
                    _ => None,
                };
                Figure {
                    name: key.0.clone(),
                    engine: key.1.clone(),
                    unit,
                    value,
                    floor,
                    ratio,
                    target: *target,
                    met,
                    samples: values.clone(),
                }
            })
            .collect()
    }
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[derive(Serialize)]
pub struct Report {
    pub title: String,
    pub users: usize,
    pub groups: usize,
    pub runs: usize,
    pub machine: String,
    pub figures: Vec<Figure>,
    /// Free text: the wasm's biggest items, what was skipped and why.
    pub notes: Vec<String>,
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# {}\n\n{} users, {} groups; each figure the median of {} run(s); {}.\n\n",
            self.title, self.users, self.groups, self.runs, self.machine
        );
        out.push_str("| Figure | Engine | Value | Floor | Ratio | Target | Met |\n");
        out.push_str("|---|---|---:|---:|---:|---|---|\n");
        for f in &self.figures {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                f.name,
                f.engine,
                number(f.value, f.unit),
                f.floor.map(|v| number(v, f.unit)).unwrap_or_default(),
                f.ratio.map(|r| format!("{r:.2}x")).unwrap_or_default(),
                match f.target {
                    Target::RatioAtMost(r) => format!("<= {r}x"),
                    Target::AtMost(v) => format!("<= {}", number(v, f.unit)),
                    Target::None => String::new(),
                },
                match f.met {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "",
                }
            );
        }
        for note in &self.notes {
            let _ = write!(out, "\n{note}\n");
        }
        out
    }

    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        std::fs::write(
            dir.join("report.json"),
            serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?,
        )
    }
}

fn number(value: f64, unit: &str) -> String {
    match unit {
        "s" => format!("{value:.2} s"),
        "ms" => format!("{value:.1} ms"),
        "MB" => format!("{value:.0} MB"),
        "KB" => format!("{value:.0} KB"),
        other => format!("{value:.0} {other}"),
    }
}

#[test]
fn medians_and_ratios() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    let mut samples = Samples::default();
    for (v, f) in [(3.0, 2.0), (6.0, 2.0), (4.0, 1.0)] {
        samples.add(
            "preview",
            "sqlite",
            "s",
            v,
            Some(f),
            Target::RatioAtMost(1.5),
        );
    }
    let figures = samples.figures(true);
    assert_eq!(figures[0].value, 4.0);
    assert_eq!(figures[0].ratio, Some(2.0));
    assert_eq!(figures[0].met, Some(false));
    assert_eq!(samples.figures(false)[0].met, None);
}
