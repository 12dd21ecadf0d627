// Material uploads with a progress bar. Without JavaScript the form posts as usual.
// The form (data-upload) is sent with XMLHttpRequest so that upload progress events can fill
// the <progress> element. The server answers 201 with the session page's address (followed
// here), or the form with its errors (which replaces the form).
(function () {
  "use strict";

  function formatBytes(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) {
      bytes /= 1024;
      i += 1;
    }
    return (i === 0 ? bytes : bytes.toFixed(1)) + " " + units[i];
  }

  function showError(form, message) {
    var box = form.querySelector("[data-upload-error]");
    if (!box) {
      box = document.createElement("p");
      box.className = "message message-error";
      box.setAttribute("role", "alert");
      box.setAttribute("data-upload-error", "");
      form.insertBefore(box, form.querySelector(".form-actions"));
    }
    box.textContent = message;
  }

  // The page's language: the form carries the translated messages (English as the fallback).
  function text(form, attribute, fallback) {
    return form.getAttribute(attribute) || fallback;
  }

  function tooLarge(form) {
    var input = form.querySelector("input[type=file][data-max-bytes]");
    if (!input || !input.files || !input.files.length) {
      return null;
    }
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var file = input.files[0];
    if (limit && file.size > limit) {
      return text(form, "data-text-too-large",
        "This file is too large: the limit is {limit} (the file has {size}).")
        .replace("{limit}", formatBytes(limit)).replace("{size}", formatBytes(file.size));
    }
    return null;
  }

  function replaceForm(form, html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var card = doc.getElementById("material-form-card");
    var current = document.getElementById("material-form-card");
    if (card && current) {
      current.innerHTML = card.innerHTML;
      var summary = current.querySelector("#form-errors");
      if (summary) {
        summary.setAttribute("tabindex", "-1");
        summary.focus();
      }
      return true;
    }
    return false;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload")) {
      return;
    }
    if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) {
      return; // the plain post
    }
    event.preventDefault();
    var problem = tooLarge(form);
    if (problem) {
      showError(form, problem);
      return;
    }
    var box = form.querySelector("[data-upload-progress]");
    var bar = form.querySelector("progress");
    var text = form.querySelector("[data-upload-progress-text]");
    var button = form.querySelector("button[type=submit]");
    if (box) {
      box.hidden = false;
    }
    if (button) {
      button.disabled = true;
    }

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Upload", "progress");
    xhr.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable || !bar) {
        return;
      }
      var percent = Math.floor((progress.loaded / progress.total) * 100);
      bar.value = percent;
      bar.textContent = percent + "%";
      if (text) {
        text.textContent = percent + "% (" + formatBytes(progress.loaded) + " of " +
          formatBytes(progress.total) + ")";
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 201 && xhr.getResponseHeader("Location")) {
        window.location.assign(xhr.getResponseHeader("Location")); // added: to the session page
        return;
      }
      if (!replaceForm(form, xhr.responseText)) {
        if (button) {
          button.disabled = false;
        }
        showError(form, text(form, "data-text-refused",
          "The upload was not accepted (the server answered {status}). Please try again.")
          .replace("{status}", String(xhr.status)));
      }
    });
    xhr.addEventListener("error", function () {
      if (button) {
        button.disabled = false;
      }
      showError(form, text(form, "data-text-failed",
        "The upload failed (the connection was lost). Please try again."));
    });
    xhr.send(new FormData(form));
  });
})();
