//! The dashboard's drawings as plain geometry: where each point of the chart and each node
//! of the relationship graph goes. Tested natively; the component only turns it into SVG.

use std::f64::consts::PI;

/// Points of a line chart of `values` in a `width` x `height` box with `pad` around it,
/// scaled to `max` (at least 1).
pub fn line_points(values: &[f64], width: f64, height: f64, pad: f64, max: f64) -> Vec<(f64, f64)> {
    let max = max.max(1.0);
    let n = values.len();
    let step = if n > 1 {
        (width - 2.0 * pad) / (n - 1) as f64
    } else {
        0.0
    };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = pad + step * i as f64;
            let y = height - pad - (v / max) * (height - 2.0 * pad);
            (x, y)
        })
        .collect()
}

/// `n` nodes evenly on a circle of `radius` around (`cx`, `cy`), the first at the top.
pub fn circle_layout(n: usize, cx: f64, cy: f64, radius: f64) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let angle = -PI / 2.0 + 2.0 * PI * i as f64 / n.max(1) as f64;
            (cx + radius * angle.cos(), cy + radius * angle.sin())
        })
        .collect()
}

/// Where a node's name goes beside it on a circle around `cx`: to the left of nodes on the
/// left half (anchored at its end), to the right otherwise; cut to `most` characters.
pub fn node_label(name: &str, x: f64, cx: f64, most: usize) -> (&'static str, f64, String) {
    let text = if name.chars().count() > most {
        let cut: String = name.chars().take(most.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    } else {
        name.to_string()
    };
    if x < cx - 1.0 {
        ("end", x - 8.0, text)
    } else {
        ("start", x + 8.0, text)
    }
}

/// The SVG `points` attribute of a polyline.
pub fn polyline(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_spans_the_box_and_scales_to_the_maximum() {
        let p = line_points(&[0.0, 5.0, 10.0], 200.0, 100.0, 10.0, 10.0);
        assert_eq!(p, [(10.0, 90.0), (100.0, 50.0), (190.0, 10.0)]);
        // A maximum of zero scales as one: nothing divides by zero.
        assert_eq!(line_points(&[0.0], 200.0, 100.0, 10.0, 0.0), [(10.0, 90.0)]);
        assert_eq!(polyline(&[(1.0, 2.0), (3.25, 4.0)]), "1.0,2.0 3.2,4.0");
    }

    #[test]
    fn nodes_sit_evenly_on_the_circle() {
        let (anchor, x, text) = node_label("Holbæk Maskinfabrik ApS", 40.0, 100.0, 12);
        assert_eq!((anchor, x, text.as_str()), ("end", 32.0, "Holbæk Mask…"));
        let (anchor, x, text) = node_label("Tuse Træ", 160.0, 100.0, 12);
        assert_eq!((anchor, x, text.as_str()), ("start", 168.0, "Tuse Træ"));
        let p = circle_layout(4, 100.0, 100.0, 50.0);
        let close =
            |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9;
        assert!(close(p[0], (100.0, 50.0)), "the first at the top");
        assert!(close(p[1], (150.0, 100.0)));
        assert!(close(p[2], (100.0, 150.0)));
        assert!(circle_layout(0, 0.0, 0.0, 1.0).is_empty());
    }
}
