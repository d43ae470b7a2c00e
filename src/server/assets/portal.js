/* SkillProof portal: progressive enhancement only; every page works without it. */
/* global document, window, navigator */
'use strict';

function formatLeft(ms) {
  var s = Math.max(0, Math.floor(ms / 1000));
  var h = Math.floor(s / 3600);
  var m = Math.floor((s % 3600) / 60);
  var sec = s % 60;
  var pad = function (n) { return (n < 10 ? '0' : '') + n; };
  return h > 0 ? h + ' h ' + pad(m) + ' min ' + pad(sec) + ' s' : m + ' min ' + pad(sec) + ' s';
}

function startCountdowns() {
  var clocks = document.querySelectorAll('[data-countdown]');
  if (!clocks.length) return;
  var tick = function () {
    clocks.forEach(function (el) {
      var left = Date.parse(el.getAttribute('data-countdown')) - Date.now();
      el.textContent = left > 0 ? formatLeft(left) : 'Time is up';
      el.classList.toggle('over', left <= 0);
    });
  };
  tick();
  window.setInterval(tick, 1000);
}

function localiseTimes() {
  document.querySelectorAll('time[datetime]').forEach(function (el) {
    var d = new Date(el.getAttribute('datetime'));
    if (!isNaN(d.getTime())) {
      el.title = el.textContent;
      el.textContent = d.toLocaleString();
    }
  });
}

function copyButtons() {
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var target = document.getElementById(button.getAttribute('data-copy'));
      if (!target) return;
      var text = 'value' in target && target.value !== undefined ? target.value : target.textContent;
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = 'Copied';
      });
    });
  });
}

document.addEventListener('DOMContentLoaded', function () {
  startCountdowns();
  localiseTimes();
  copyButtons();
});
