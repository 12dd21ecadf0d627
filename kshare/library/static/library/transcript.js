/* Transcripts beside a recording: the current cue and chapter are highlighted while the
 * recording plays, and selecting a cue or a chapter plays the recording from there.
 *
 * Markup (library/_transcript.html): <section data-transcript data-video="ID"> holds
 * <button data-start="SECONDS" data-end="SECONDS"> per timed cue inside a scrolling
 * [data-transcript-scroll] box (each cue's <li> has the id "cue-PK"), and the same buttons per
 * chapter inside <nav data-chapters>. The player is the <video>/<audio> with that id, else the
 * first one in the section's parent. Everything is delegated from the document, so
 * transcripts added later (htmx swaps) work too, and loading this file twice is harmless.
 *
 * Arriving at "#cue-PK" (a search hit) marks that cue as current, scrolls the cue list to it
 * and sets the player to its start without playing; "#transcript-PK?t=SECONDS" sets the
 * player to t. Without JavaScript the anchor still scrolls to the cue.
 */
(function () {
  "use strict";
  if (window.kshareTranscripts) {
    return;
  }
  window.kshareTranscripts = true;

  var CURRENT = "cue-current";
  var USER_SCROLL_PAUSE_MS = 4000;

  function isPlayer(element) {
    return element && (element.tagName === "VIDEO" || element.tagName === "AUDIO");
  }

  function playerFor(section) {
    var id = section.getAttribute("data-video");
    var player = id ? document.getElementById(id) : null;
    if (!isPlayer(player) && section.parentElement) {
      player = section.parentElement.querySelector("video, audio");
    }
    return isPlayer(player) ? player : null;
  }

  function sectionsFor(player) {
    var found = [];
    document.querySelectorAll("[data-transcript]").forEach(function (section) {
      if (playerFor(section) === player) {
        found.push(section);
      }
    });
    return found;
  }

  function seconds(button, name) {
    var value = parseFloat(button.getAttribute(name));
    return isFinite(value) ? value : null;
  }

  function keepInView(box, cue) {
    // Scroll the cue list only (never the page) and never move the focus.
    if (!box || Date.now() - (box.kshareUserScrolledAt || 0) < USER_SCROLL_PAUSE_MS) {
      return;
    }
    var top = cue.offsetTop;
    var bottom = top + cue.offsetHeight;
    if (top < box.scrollTop || bottom > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }

  function mark(buttons, time) {
    // The first button whose [start, end) holds ``time`` is current; returns it (or null).
    var first = null;
    buttons.forEach(function (button, index) {
      var start = seconds(button, "data-start");
      var end = seconds(button, "data-end");
      if (end === null) {
        var next = buttons[index + 1];
        end = next ? seconds(next, "data-start") : Infinity;
      }
      var current = first === null && start !== null && start <= time && time < end;
      var was = button.getAttribute("aria-current") === "true";
      if (current !== was) {
        button.setAttribute("aria-current", current ? "true" : "false");
        button.classList.toggle(CURRENT, current);
      }
      if (current) {
        first = button;
      }
    });
    return first;
  }

  function highlight(section, time) {
    mark(section.querySelectorAll("[data-chapters] button[data-start]"), time);
    var cue = mark(section.querySelectorAll("[data-transcript-scroll] button[data-start]"), time);
    if (cue) {
      keepInView(section.querySelector("[data-transcript-scroll]"), cue.closest("li") || cue);
    }
  }

  function follow(event) {
    var player = event.target;
    if (!isPlayer(player)) {
      return;
    }
    sectionsFor(player).forEach(function (section) {
      highlight(section, player.currentTime);
    });
  }

  // Media events do not bubble: listen in the capture phase.
  ["timeupdate", "seeked", "loadedmetadata"].forEach(function (name) {
    document.addEventListener(name, follow, true);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-transcript] button[data-start]");
    if (!button) {
      return;
    }
    var section = button.closest("[data-transcript]");
    var player = playerFor(section);
    var start = seconds(button, "data-start");
    if (!player || start === null) {
      return;
    }
    player.currentTime = start;
    highlight(section, start);
    var playing = player.play();
    if (playing && typeof playing.catch === "function") {
      playing.catch(function () {
        /* Autoplay refused or no source: the position is set; the person presses play. */
      });
    }
  });

  // Arriving from a search hit: "#cue-PK" names a cue; "#transcript-PK" with "?t=SECONDS" a time.
  function seekTo(player, time) {
    if (player.readyState >= 1) {
      player.currentTime = time;
      return;
    }
    // Before the metadata, currentTime is only the default start position: set it again once
    // the player knows the recording (unless the person has already moved it).
    player.currentTime = time;
    player.addEventListener(
      "loadedmetadata",
      function () {
        if (player.currentTime === 0 && time > 0) {
          player.currentTime = time;
        }
      },
      { once: true }
    );
  }

  function arrive() {
    var hash = window.location.hash;
    var target = null;
    var time = null;
    var section = null;
    if (/^#cue-\d+$/.test(hash)) {
      var item = document.getElementById(hash.slice(1));
      target = item ? item.querySelector("button[data-start]") : null;
      section = target ? target.closest("[data-transcript]") : null;
      time = target ? seconds(target, "data-start") : null;
    } else if (/^#transcript-\d+$/.test(hash)) {
      section = document.getElementById(hash.slice(1));
      var t = parseFloat(new URLSearchParams(window.location.search).get("t"));
      time = isFinite(t) && t >= 0 ? t : null;
    }
    if (!section || !section.hasAttribute("data-transcript") || time === null) {
      return;
    }
    var player = playerFor(section);
    if (!player) {
      return;
    }
    seekTo(player, time);
    highlight(section, time);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", arrive);
  } else {
    arrive();
  }
  window.addEventListener("hashchange", arrive);

  // A person scrolling the list themselves is not fought by the automatic scrolling.
  var SCROLL_KEYS = ["ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End", " "];
  ["wheel", "touchmove", "keydown"].forEach(function (name) {
    document.addEventListener(
      name,
      function (event) {
        if (name === "keydown" && SCROLL_KEYS.indexOf(event.key) < 0) {
          return;
        }
        var box = event.target.closest && event.target.closest("[data-transcript-scroll]");
        if (box) {
          box.kshareUserScrolledAt = Date.now();
        }
      },
      { capture: true, passive: true }
    );
  });
})();
