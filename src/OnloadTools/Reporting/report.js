/* OnloadTools latency report renderer: draws the charts of the data embedded in #report-data with Chart.js.
   Every chart is drawn without animation (the page is complete as soon as it has loaded: printable, screenshot-able). */
(function () {
  'use strict';
  var errors = [];
  function fail(where, e) {
    errors.push(where + ': ' + (e && e.message ? e.message : e));
    console.error('OnloadTools report: ' + where + ': ' + (e && e.stack ? e.stack : e));
  }
  window.addEventListener('error', function (ev) { errors.push(String(ev.message)); });

  var data;
  try {
    data = JSON.parse(document.getElementById('report-data').textContent);
  } catch (e) { fail('data', e); return; }
  if (typeof Chart === 'undefined') { fail('chart.js', 'Chart.js did not load'); return; }

  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';

  var verdictColor = { Equivalent: '#2ca02c', Slower: '#d62728', Faster: '#1f77b4', Inconclusive: '#8c8c8c' };
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16 & 255) + ',' + (n >> 8 & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) { fail(id, 'no canvas'); return; }
    try {
      new Chart(canvas, config);
      canvas.setAttribute('data-rendered', 'true');
    } catch (e) { fail(id, e); }
  }

  function pointsChart(s) {
    var names = s.labels.map(function (l) { return l.name; });
    var points = [], colors = [];
    s.labels.forEach(function (l) {
      l.iterationMeans.forEach(function (v) { points.push({ x: l.name, y: v }); colors.push(l.color); });
    });
    draw(s.id + '-points', {
      type: 'bar',
      data: {
        labels: names,
        datasets: [
          { type: 'bar', label: 'confidence interval of the mean', order: 3, barPercentage: 0.35,
            data: s.labels.map(function (l) { return l.ciLow == null ? null : [l.ciLow, l.ciHigh]; }),
            backgroundColor: s.labels.map(function (l) { return alpha(l.color, 0.25); }),
            borderColor: s.labels.map(function (l) { return l.color; }), borderWidth: 1 },
          { type: 'scatter', label: 'each iteration (mean)', order: 1, data: points,
            pointBackgroundColor: colors, pointBorderColor: colors, pointRadius: 4 },
          { type: 'scatter', label: 'mean of the iterations', order: 2, pointStyle: 'line', pointRadius: 22, borderWidth: 3,
            borderColor: '#222', backgroundColor: '#222',
            data: s.labels.filter(function (l) { return l.mean != null; }).map(function (l) { return { x: l.name, y: l.mean }; }) }
        ]
      },
      options: {
        scales: { x: { type: 'category' }, y: { title: { display: true, text: 'µs' } } },
        plugins: { title: { display: true, text: 'Mean latency per iteration, with the confidence interval of the mean' } }
      }
    });
  }

  function signed(v) { return (v > 0 ? '+' : '') + (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 10) / 10); }

  // The relative difference per metric on an axis that keeps the ±margin in sight (IntervalAxisMin/Max, computed in
  // C#): an interval reaching beyond it is drawn to the edge, marked with an arrow there, and its full extent is
  // written in its axis label; an unbounded interval spans the axis, faintly.
  function intervalsChart(s) {
    if (!s.intervals.length) return;
    var multi = s.intervals.some(function (i) { return i.difference !== s.intervals[0].difference; });
    var level = Math.round(data.confidenceLevel * 1000) / 10;
    var min = s.intervalAxisMin, max = s.intervalAxisMax;
    // A clipped interval's full extent goes on a second line of its label; points refer to rows by index.
    var names = s.intervals.map(function (i) {
      var name = multi ? i.metric + ' · ' + i.difference : i.metric;
      if (i.low == null || i.high == null) return [name, '(interval unbounded)'];
      if (i.clippedLow || i.clippedHigh) return [name, '(CI ' + signed(i.low) + '…' + signed(i.high) + ' %, clipped)'];
      return name;
    });
    var last = names.length - 1;
    var arrows = [];
    s.intervals.forEach(function (i, k) {
      if (i.clippedLow) arrows.push({ x: min, y: k, r: -90 });
      if (i.clippedHigh) arrows.push({ x: max, y: k, r: 90 });
    });
    var m = data.equivalenceMargin;
    draw(s.id + '-intervals', {
      type: 'bar',
      data: {
        labels: names,
        datasets: [
          { type: 'bar', label: level + ' % confidence interval of the difference (%)', barPercentage: 0.5,
            data: s.intervals.map(function (i) {
              return [i.low == null ? min : Math.max(i.low, min), i.high == null ? max : Math.min(i.high, max)];
            }),
            backgroundColor: s.intervals.map(function (i) {
              return alpha(verdictColor[i.verdict] || '#8c8c8c', i.low == null || i.high == null ? 0.12 : 0.35);
            }),
            borderColor: s.intervals.map(function (i) { return verdictColor[i.verdict] || '#8c8c8c'; }), borderWidth: 1 },
          { type: 'scatter', label: 'difference (%)', pointRadius: 5, backgroundColor: '#222',
            data: s.intervals.map(function (i, k) { return { x: i.deltaPercent, y: k }; }) },
          { type: 'scatter', label: 'interval continues beyond the axis', pointStyle: 'triangle', pointRadius: 9,
            rotation: arrows.map(function (a) { return a.r; }), backgroundColor: '#d62728', borderColor: '#d62728',
            data: arrows.map(function (a) { return { x: a.x, y: a.y }; }) },
          { type: 'scatter', label: '±' + m + ' % equivalence margin', showLine: true, pointRadius: 0, borderDash: [5, 4], borderColor: '#555',
            data: [{ x: -m, y: 0 }, { x: -m, y: last }] },
          { type: 'scatter', label: '', showLine: true, pointRadius: 0, borderDash: [5, 4], borderColor: '#555',
            data: [{ x: m, y: 0 }, { x: m, y: last }] }
        ]
      },
      options: {
        indexAxis: 'y',
        scales: {
          x: { type: 'linear', min: min, max: max, title: { display: true, text: 'difference vs reference, %' } },
          y: { type: 'category' }
        },
        plugins: {
          legend: { labels: { filter: function (item, chart) {
            return item.text !== '' && !(item.text === 'interval continues beyond the axis' && arrows.length === 0);
          } } },
          title: { display: true, text: 'Relative difference by metric, ' + level + ' % confidence intervals (colour: verdict)' }
        }
      }
    });
  }

  // x position of a percentile: its "nines" (90 → 1, 99 → 2, 99.9 → 3 …). The axis ends at the highest percentile
  // that was measured (netperf: p99); the maximum, when measured, is drawn half a step beyond it. No line is drawn
  // through percentiles that no run measured.
  function nines(p) { return -Math.log10(1 - p / 100); }
  function pctLabel(p) { return p === 0 ? 'min' : 'p' + String(Math.round(p * 10000) / 10000); }

  function ladderChart(s) {
    if (!s.ladder) return;
    var L = s.ladder;
    var few = L.series.length <= 10;
    var top = nines(L.topPercentile);
    var maxX = top + 0.5;
    var ticks = {};
    L.measuredPercentiles.forEach(function (p) { ticks[nines(p).toFixed(3)] = pctLabel(p); });
    ticks[(0).toFixed(3)] = 'min';
    if (L.hasMax) ticks[maxX.toFixed(3)] = 'max';
    draw(s.id + '-ladder', {
      type: 'line',
      data: {
        datasets: L.series.map(function (l) {
          return { label: l.name, borderColor: l.color, backgroundColor: l.color, borderWidth: 1.5, pointRadius: 2, showLine: true,
            data: l.percentiles.map(function (p, k) { return { x: p >= 100 ? maxX : nines(p), y: l.latencies[k] }; }) };
        })
      },
      options: {
        parsing: false,
        scales: {
          x: { type: 'linear', min: 0, max: L.hasMax ? maxX : top,
               afterBuildTicks: function (axis) { axis.ticks = Object.keys(ticks).map(function (v) { return { value: Number(v) }; }); },
               ticks: { autoSkip: false, callback: function (v) { return ticks[Number(v).toFixed(3)] || ''; } },
               title: { display: true, text: 'percentile (measured percentiles only' + (L.hasMax ? '; max at the right edge)' : ')') } },
          y: { type: 'logarithmic', title: { display: true, text: 'µs (log scale)' } }
        },
        plugins: { legend: { display: few }, title: { display: true, text: 'Percentile ladder: ' + L.source } }
      }
    });
  }

  function trendChart(s) {
    if (!s.trend) return;
    var t = s.trend;
    var sets = t.series.map(function (l) {
      var last = -1;
      l.values.forEach(function (v, k) { if (v != null) last = k; });
      return { label: l.name, data: l.values, borderColor: l.color, backgroundColor: l.color, spanGaps: true,
        pointRadius: l.values.map(function (v, k) { return k === last ? 7 : 3; }) };
    });
    if (t.baseline != null) {
      sets.push({ label: t.baselineDescription, data: t.times.map(function () { return t.baseline; }), borderColor: '#555',
        borderDash: [6, 4], pointRadius: 0, borderWidth: 2 });
    }
    draw(s.id + '-trend', {
      type: 'line',
      data: { labels: t.times, datasets: sets },
      options: {
        scales: { y: { title: { display: true, text: 'mean latency of the run, µs' } } },
        plugins: { title: { display: true, text: 'Trend over runs (latest run enlarged; dashed: baseline)' } }
      }
    });
  }

  // Jitter (Measure-HostJitter): per CPU, the latest run's maximum (coloured by its verdict) and P99.99, the previous
  // run's in grey, and the threshold as a dashed line across.
  var jitterColor = { Passed: '#2ca02c', Exceeded: '#d62728', Regressed: '#ff7f0e' };
  function jitterCpuChart(j) {
    var sets = [
      { type: 'bar', label: 'max, ' + j.latestName, order: 2, data: j.maximum,
        backgroundColor: j.cpuVerdicts.map(function (v) { return alpha(jitterColor[v] || '#8c8c8c', 0.7); }),
        borderColor: j.cpuVerdicts.map(function (v) { return jitterColor[v] || '#8c8c8c'; }), borderWidth: 1 },
      { type: 'bar', label: 'P99.99, ' + j.latestName, order: 2, data: j.tail, backgroundColor: alpha('#1f77b4', 0.6) }
    ];
    if (j.previousMaximum) {
      sets.push({ type: 'bar', label: 'max, ' + j.previousName, order: 2, data: j.previousMaximum, backgroundColor: alpha('#7f7f7f', 0.45) });
      sets.push({ type: 'bar', label: 'P99.99, ' + j.previousName, order: 2, data: j.previousTail, backgroundColor: alpha('#7f7f7f', 0.2) });
    }
    sets.push({ type: 'line', label: 'threshold ' + j.threshold + ' µs', order: 1, data: j.cpus.map(function () { return j.threshold; }),
      borderColor: '#a31515', borderDash: [6, 4], pointRadius: 0, borderWidth: 2, fill: false });
    draw(j.id + '-cpus', {
      type: 'bar',
      data: { labels: j.cpus, datasets: sets },
      options: {
        scales: { y: { beginAtZero: true, title: { display: true, text: 'µs' } } },
        plugins: { title: { display: true, text: 'Per CPU: maximum and P99.99 (colour of the latest maximum: verdict)' } }
      }
    });
  }
  function jitterTrendChart(j) {
    if (!j.trend) return;
    var t = j.trend;
    draw(j.id + '-trend', {
      type: 'line',
      data: { labels: t.times, datasets: [
        { label: 'worst maximum of the run', data: t.worstMaximum, borderColor: '#1f77b4', backgroundColor: '#1f77b4',
          pointRadius: t.worstMaximum.map(function (v, k) { return k === t.worstMaximum.length - 1 ? 7 : 3; }) },
        { label: 'threshold ' + j.threshold + ' µs', data: t.times.map(function () { return j.threshold; }), borderColor: '#a31515',
          borderDash: [6, 4], pointRadius: 0, borderWidth: 2 }
      ] },
      options: {
        scales: { y: { beginAtZero: true, title: { display: true, text: 'µs' } } },
        plugins: { title: { display: true, text: 'Worst maximum of each run over time (latest enlarged)' } }
      }
    });
  }
  (data.jitterSections || []).forEach(function (j) {
    [jitterCpuChart, jitterTrendChart].forEach(function (f) {
      try { f(j); } catch (e) { fail(j.id, e); }
    });
  });

  data.sections.forEach(function (s) {
    [pointsChart, intervalsChart, ladderChart, trendChart].forEach(function (f) {
      try { f(s); } catch (e) { fail(s.id, e); }
    });
  });
  document.documentElement.setAttribute('data-report', errors.length ? 'errors' : 'rendered');
  if (errors.length) {
    var pre = document.createElement('pre');
    pre.id = 'report-errors';
    pre.textContent = errors.join('\n');
    document.body.appendChild(pre);
  }
})();
