// Runs first on every benchmark page (a classic script, before any module): records when
// the widget (or an anchor) is ready, and every window.open call together with what the
// browser said about the user's activation at that moment.
(function () {
  'use strict';
  // `bounded`: keep only the last record (long runs must not grow the page's heap).
  var bench = (window.bench = { opens: [], clickTask: null, inHandler: false, bounded: false });

  function mark(name) {
    return function () {
      if (bench[name] === undefined) bench[name] = performance.now();
    };
  }
  addEventListener('weavz:ready', mark('ready'));
  addEventListener('anchor:ready', mark('ready'));
  customElements.whenDefined('weavz-connect').then(mark('defined'));

  // The click's task is over once a task queued from inside it has run.
  addEventListener(
    'click',
    function (e) {
      var task = { timeStamp: e.timeStamp, over: false };
      bench.clickTask = task;
      setTimeout(function () {
        task.over = true;
      }, 0);
    },
    true,
  );

  var open = window.open;
  window.open = function () {
    var task = bench.clickTask;
    var at = performance.now();
    var record = {
      active: !!(navigator.userActivation && navigator.userActivation.isActive),
      inClickTask: !!task && !task.over,
      inHandler: bench.inHandler,
      sinceClick: task ? at - task.timeStamp : null,
    };
    var w = open.apply(this, arguments);
    record.took = performance.now() - at;
    record.opened = !!w;
    if (bench.bounded) bench.opens.length = 0;
    bench.opens.push(record);
    return w;
  };
})();
