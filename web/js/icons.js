// Icons as inline SVG, which render in every browser and font (an emoji such as ✋ shows as an
// empty box where no emoji font is installed). Decorative: the text beside an icon names it.
const paths = {
  // A raised open hand.
  hand: 'M8 13V5.5a1.5 1.5 0 0 1 3 0V12M11 11.5V4a1.5 1.5 0 0 1 3 0v7.5M14 11.5V5.5a1.5 1.5 0 0 1 3 0V14'
    + 'M17 9.5a1.5 1.5 0 0 1 3 0V15a7 7 0 0 1-7 7h-1a7 7 0 0 1-5.6-2.8L3.3 15.3a1.6 1.6 0 0 1 2.5-2L8 15.5',
  // The check-in challenges: an arrow the way to move, an eye for a blink.
  turn_left: 'M20 12H5M11 6l-6 6 6 6',
  turn_right: 'M4 12h15M13 6l6 6-6 6',
  look_up: 'M12 20V5M6 11l6-6 6 6',
  blink: 'M2 12s4-6 10-6 10 6 10 6-4 6-10 6S2 12 2 12zM12 9.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z',
  // A face, for a challenge without an icon of its own.
  face: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM9 10h.01M15 10h.01M8.5 15a4.5 4.5 0 0 0 7 0',
};

export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', paths[name]);
  svg.append(path);
  return svg;
}

// The icon of a check-in challenge (turn_left, turn_right, look_up, blink), else a face.
export function challengeIcon(challenge) {
  return icon(challenge in paths && challenge !== 'hand' ? challenge : 'face');
}
