// Live chat: the socket announces, the REST API serves. A message pushed as "seq N added"
// is read with GET messages/?after=<last seen>, so a reconnect, a reload or another device
// shows exactly what was missed, and a message never shows twice (each seq is shown once).
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // A page that is already leaving (a form was sent) must not reload itself on a push: the
  // reload would cancel the navigation the form started.
  var leaving = false;
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "chat-form") leaving = true;
  });
  window.addEventListener("beforeunload", function () { leaving = true; });

  function refresh() {
    if (!leaving) location.reload();
  }

  function socketUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  // A socket that comes back after a drop, later each time; 4403 means "not yours": stop.
  // Each wait is drawn from half to one and a half times the delay, so the sockets a
  // restarted server dropped together do not all come back in the same instant.
  function liveSocket(path, handlers) {
    var delay = 1000;
    var socket = null;
    function open() {
      socket = new WebSocket(socketUrl(path));
      socket.onopen = function () {
        delay = 1000;
        if (handlers.open) handlers.open();
      };
      socket.onmessage = function (event) {
        var payload;
        try { payload = JSON.parse(event.data); } catch (error) { return; }
        handlers.message(payload);
      };
      socket.onclose = function (event) {
        if (handlers.close) handlers.close();
        if (event.code === 4403) return;
        setTimeout(open, delay * (0.5 + Math.random()));
        delay = Math.min(delay * 2, 15000);
      };
    }
    open();
    return {
      send: function (payload) {
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
      }
    };
  }

  function post(url, body) {
    var options = {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    };
    if (body instanceof FormData) {
      options.body = body;
    } else {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    return fetch(url, options);
  }

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, name) {
      return values[name] === undefined ? match : values[name];
    });
  }

  function startChat(root) {
    var api = root.dataset.api;
    var side = root.dataset.side;
    var t = root.dataset;
    var log = document.getElementById("chat-log");
    var typing = document.getElementById("chat-typing");
    var connection = document.getElementById("chat-connection");
    var form = document.getElementById("chat-form");
    var state = root.dataset.state;
    var shown = {};
    var lastSeq = 0;
    var fetching = false;
    var again = false;
    // While my message is on its way, its own push usually comes first: wait for the 201,
    // which shows it, and read only if the pushes named more than that.
    var sending = false;
    var pushedSeq = 0;
    var typingTimer = null;
    var lastTyping = 0;
    var socket;

    function authorLabel(message) {
      if (message.author_kind === "bot") return t.tAssistant;
      if (message.author_kind === "system") return t.tSystem;
      if (message.author_kind === "customer") return side === "customer" ? t.tYou : message.author;
      return message.author;
    }

    function render(message) {
      var item = document.createElement("div");
      item.className = "chat-message chat-" + message.author_kind + (message.internal ? " chat-internal" : "");
      item.id = "chat-message-" + message.seq;
      item.dataset.seq = message.seq;
      if (message.author_kind === side) item.dataset.mine = "1";
      var head = document.createElement("div");
      head.className = "small text-body-secondary";
      head.textContent = authorLabel(message) + (message.internal ? " · " + t.tNote : "");
      var time = document.createElement("time");
      time.setAttribute("datetime", message.created_at);
      time.className = "ms-2";
      var when = new Date(message.created_at);
      time.textContent = isNaN(when) ? "" : when.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
      head.appendChild(time);
      item.appendChild(head);
      if (message.body) {
        var body = document.createElement("div");
        body.className = "chat-text";
        body.textContent = message.body;
        item.appendChild(body);
      }
      if (message.articles && message.articles.length) {
        var list = document.createElement("ul");
        list.className = "mb-1 chat-articles";
        message.articles.forEach(function (article) {
          var li = document.createElement("li");
          var link = document.createElement("a");
          link.href = article.url;
          link.target = "_blank";
          link.rel = "noopener";
          link.textContent = article.title;
          li.appendChild(link);
          list.appendChild(li);
        });
        item.appendChild(list);
      }
      if (message.file) {
        var file = document.createElement("div");
        var fileLink = document.createElement("a");
        fileLink.href = message.file.url;
        fileLink.textContent = message.file.name;
        file.appendChild(fileLink);
        var hash = document.createElement("div");
        hash.className = "sha256 text-break";
        hash.textContent = "SHA-256 " + message.file.sha256;
        file.appendChild(hash);
        item.appendChild(file);
      }
      if (message.reference && side === "customer") {
        var caseLink = document.createElement("a");
        caseLink.href = t.caseUrl;
        caseLink.textContent = t.tCase + " " + message.reference;
        item.appendChild(caseLink);
      }
      if (message.ask_solved && side === "customer" && state === "bot") {
        var choices = document.createElement("div");
        choices.className = "d-flex flex-wrap gap-2 mt-1 chat-solved";
        choices.appendChild(button(t.tSolved, "btn-outline-success", function () {
          post(api + "end/", { solved: true }).then(function () { location.reload(); });
        }));
        choices.appendChild(button(t.tPerson, "btn-outline-primary", function () {
          post(api + "person/").then(function () { location.reload(); });
        }));
        item.appendChild(choices);
      }
      log.appendChild(item);
    }

    function button(label, style, onClick) {
      var element = document.createElement("button");
      element.type = "button";
      element.className = "btn btn-sm " + style;
      element.textContent = label;
      element.addEventListener("click", onClick);
      return element;
    }

    function show(message) {
      if (shown[message.seq]) return false;
      shown[message.seq] = true;
      render(message);
      lastSeq = Math.max(lastSeq, message.seq);
      return true;
    }

    // Only one read at a time; a push that arrives meanwhile asks again once it is done.
    function catchUp() {
      if (fetching) { again = true; return; }
      fetching = true;
      fetch(api + "messages/?after=" + lastSeq, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          fetching = false;
          if (!data) return;
          var fromOthers = false;
          data.results.forEach(function (message) {
            if (show(message) && message.author_kind !== side) fromOthers = true;
          });
          if (data.results.length) {
            showRead(otherRead);
            log.scrollTop = log.scrollHeight;
            // A read receipt tells the other side: for my own messages there is nothing to tell.
            if (fromOthers && socket && document.visibilityState === "visible") socket.send({ type: "read", seq: lastSeq });
          }
          if (data.more || again) { again = false; catchUp(); }
        })
        .catch(function () { fetching = false; });
    }

    function showTyping() {
      typing.textContent = t.tTyping;
      typing.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.hidden = true; }, 4000);
    }

    // The other side has seen my messages up to `seq`: each says so once.
    var otherRead = 0;
    function showRead(seq) {
      otherRead = Math.max(otherRead, seq || 0);
      seq = otherRead;
      log.querySelectorAll(".chat-message[data-mine]:not(.chat-seen)").forEach(function (item) {
        if (Number(item.dataset.seq) > seq) return;
        item.classList.add("chat-seen");
        var mark = document.createElement("div");
        mark.className = "small text-body-secondary text-end chat-read-mark";
        mark.textContent = t.tRead;
        item.appendChild(mark);
      });
    }

    function showQueue(payload) {
      var position = document.getElementById("chat-position");
      var estimate = document.getElementById("chat-estimate");
      if (position && payload.position) position.textContent = format(t.tPosition, { position: payload.position });
      if (estimate) {
        estimate.textContent = payload.estimate_seconds === null || payload.estimate_seconds === undefined ? "" :
          format(t.tEstimate, { minutes: Math.max(1, Math.ceil(payload.estimate_seconds / 60)) });
      }
    }

    socket = liveSocket(root.dataset.socket, {
      // The socket's hello says the newest message number: read only if something is new
      // (after a dropped connection there usually is nothing, and 100 phones come back at once).
      open: function () { connection.hidden = true; },
      close: function () { connection.textContent = t.tOffline; connection.hidden = false; },
      message: function (payload) {
        if (payload.type === "message" && payload.seq > lastSeq) {
          if (sending) pushedSeq = Math.max(pushedSeq, payload.seq);
          else catchUp();
        }
        else if (payload.type === "typing") showTyping();
        else if (payload.type === "queue") showQueue(payload);
        else if (payload.type === "read") showRead(payload.seq);
        else if (payload.type === "state" && payload.state === state) {
          showRead(payload.read);
          if (payload.seq > lastSeq) catchUp();
        }
        else if (payload.type === "state") {
          // A new state changes what the page offers (buttons, the rating): show it.
          refresh();
        }
      }
    });
    catchUp();
    // Pushes from another process (the beat turning a chat into a case) may not reach this
    // one's socket in the demo's in-memory layer: an occasional read covers them.
    setInterval(catchUp, 20000);

    if (form) {
      var body = document.getElementById("chat-body");
      var error = document.getElementById("chat-error");
      body.addEventListener("input", function () {
        var now = Date.now();
        if (now - lastTyping > 2000) { lastTyping = now; socket.send({ type: "typing" }); }
      });
      body.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var data = new FormData(form);
        if (!data.get("file") || !data.get("file").size) data.delete("file");
        if (!data.get("internal")) data.delete("internal");
        data.delete("csrfmiddlewaretoken");
        var send = document.getElementById("chat-send");
        send.disabled = true;
        sending = true;
        function sent() {
          sending = false;
          if (pushedSeq > lastSeq) catchUp();
          pushedSeq = 0;
        }
        post(api + "messages/", data).then(function (response) {
          send.disabled = false;
          if (response.ok) {
            form.reset();
            error.textContent = "";
            // The 201 is the message as a read would give it: when it is the next one, show
            // it, and its push needs no read; after a gap, read what came between.
            return response.json().then(function (message) {
              if (message.seq === lastSeq + 1) {
                show(message);
                log.scrollTop = log.scrollHeight;
              } else {
                catchUp();
              }
            }).finally(sent);
          }
          sent();
          return response.json().then(function (problem) {
            var texts = [];
            Object.keys(problem).forEach(function (key) {
              var value = problem[key];
              if (key === "code") return;
              texts.push(Array.isArray(value) ? value.join(" ") : String(value));
            });
            error.textContent = texts.join(" ") || t.tFailed;
          }).catch(function () { error.textContent = t.tFailed; });
        }).catch(function () { send.disabled = false; sent(); error.textContent = t.tFailed; });
      });
      document.querySelectorAll("[data-insert]").forEach(function (insert) {
        insert.addEventListener("click", function () {
          body.value = (body.value ? body.value + "\n" : "") + insert.dataset.insert;
          body.focus();
        });
      });
    }
  }

  function startPanel(root) {
    liveSocket(root.dataset.socket, {
      message: function (payload) {
        if (payload.type === "panel") refresh();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var chat = document.getElementById("chat");
    if (chat) startChat(chat);
    var panel = document.getElementById("chat-panel");
    if (panel) startPanel(panel);
  });
})();
