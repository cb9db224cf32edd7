// The time-to-ready baseline: a module that does nothing but say it is ready, loaded the
// same way as the widget and the anchors (what every page pays before any library).
dispatchEvent(new Event('anchor:ready'));
