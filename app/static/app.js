/* Streaming answers for the question form: POST /api/ask/stream, read server-sent events with fetch.
 * Without JavaScript (or without fetch streams) the form posts to /ask and the server renders the page.
 * Everything from the server is inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var form = document.getElementById("ask-form");
  if (!form || !window.fetch || !window.TextDecoder || !window.ReadableStream) {
    return;
  }
  var STATUS = {
    verified: ["검증됨", "검색된 근거 조문과 일치"],
    not_in_context: ["검색 밖 인용", "코퍼스에 있으나 검색된 근거가 아님"],
    not_found: ["확인 불가", "코퍼스에 없는 법령 또는 조문"],
    resolved: ["질문 인용", "질문에 인용된 조문"]
  };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https:\/\/(www\.)?law\.go\.kr\//.test(url) ? url : null;
  }

  /* Statute text with the server's links (hit.links: image placeholders, 별표 references) as anchors.
   * Offsets count code points (Python); statute text is BMP-only, where they equal UTF-16 offsets. */
  function statuteText(hit) {
    var box = el("div", "article-text");
    var text = String(hit.text || "");
    var pos = 0;
    (hit.links || []).forEach(function (link) {
      if (link.start < pos) { return; }
      box.appendChild(document.createTextNode(text.slice(pos, link.start)));
      var url = safeUrl(link.url);
      if (url) {
        var a = el("a", "statute-link link-" + link.kind, link.label);
        a.href = url;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        box.appendChild(a);
      } else {
        box.appendChild(document.createTextNode(link.label));
      }
      pos = link.end;
    });
    box.appendChild(document.createTextNode(text.slice(pos)));
    return box;
  }

  function articleNode(hit, citation) {
    var art = el("article", "article");
    art.setAttribute("data-doc-id", hit.doc_id);
    art.appendChild(el("h3", null, "「" + hit.law + "」 " + hit.article + (hit.title ? "(" + hit.title + ")" : "")));
    var badges = el("p", "badges");
    if (citation) {
      var label = STATUS[citation.status] || [citation.status, ""];
      var b = el("span", "badge status-" + citation.status, label[0]);
      b.title = label[1];
      badges.appendChild(b);
    }
    if (hit.pending) { badges.appendChild(el("span", "badge badge-pending", "시행 예정 " + (hit.effective || ""))); }
    if (hit.deleted) { badges.appendChild(el("span", "badge badge-deleted", "삭제된 조문")); }
    if (!citation) { badges.appendChild(el("span", "score", "순위 " + hit.rank + " · 점수 " + Number(hit.score).toFixed(4))); }
    art.appendChild(badges);
    art.appendChild(el("p", "dates", "시행일 " + (hit.effective || "미상")));
    var details = el("details");
    details.appendChild(el("summary", null, "조문 전문 보기"));
    details.appendChild(statuteText(hit));
    art.appendChild(details);
    var url = safeUrl(hit.url);
    if (url) {
      var p = el("p");
      var a = el("a", "lawgo", "국가법령정보센터에서 보기");
      a.href = url;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      p.appendChild(a);
      art.appendChild(p);
    }
    return art;
  }

  function section(cls, title) {
    var s = el("section", cls);
    s.appendChild(el("h2", null, title));
    return s;
  }

  function renderDone(box, answerNode, resp) {
    answerNode.textContent = resp.answer;
    answerNode.classList.remove("streaming");
    var meta = box.querySelector(".meta");
    if (meta) {
      meta.textContent = "기준일 " + resp.as_of + " · 생성기: " + resp.generator +
        (resp.generator.indexOf("extractive") === 0 ? " (발췌 답변)" : "");
    }
    var seen = {};
    var cited = section("sources", "인용된 조문");
    var unverified = section("unverified", "확인되지 않은 인용");
    var ul = el("ul");
    var nCited = 0;
    var nUnverified = 0;
    (resp.citations || []).forEach(function (c) {
      if (c.status !== "not_found" && c.hit && !seen[c.hit.doc_id]) {
        seen[c.hit.doc_id] = true;
        cited.appendChild(articleNode(c.hit, c));
        nCited += 1;
      } else if (c.status === "not_found") {
        var li = el("li");
        li.appendChild(el("span", "badge status-not_found", "확인 불가"));
        li.appendChild(document.createTextNode(" " + c.raw + " — " + c.message +
          (c.suggestions && c.suggestions.length ? " (비슷한 항목: " + c.suggestions.join(", ") + ")" : "")));
        ul.appendChild(li);
        nUnverified += 1;
      }
    });
    if (nCited) { box.appendChild(cited); }
    if (nUnverified) {
      unverified.appendChild(el("p", null, "아래 인용은 색인에서 찾을 수 없어 근거로 표시하지 않습니다."));
      unverified.appendChild(ul);
      box.appendChild(unverified);
    }
    var others = section("hits", "그 밖에 검색된 조문");
    var nOthers = 0;
    (resp.hits || []).forEach(function (h) {
      if (!seen[h.doc_id]) { others.appendChild(articleNode(h, null)); nOthers += 1; }
    });
    if (nOthers) { box.appendChild(others); }
  }

  function showError(box, body) {
    var div = el("div", "error");
    div.setAttribute("role", "alert");
    div.appendChild(el("p", null, (body && body.message) || "요청을 처리하지 못했습니다 / request failed"));
    if (body && body.suggestions && body.suggestions.length) {
      div.appendChild(el("p", null, "비슷한 법령: " + body.suggestions.join(", ")));
    }
    box.appendChild(div);
  }

  /* Split a server-sent-event buffer into complete events; return [events, rest]. */
  function parseEvents(buffer) {
    var events = [];
    var blocks = buffer.split(/\r?\n\r?\n/);
    var rest = blocks.pop();
    blocks.forEach(function (block) {
      var name = "message";
      var data = [];
      block.split(/\r?\n/).forEach(function (line) {
        if (!line || line.charAt(0) === ":") { return; }
        var i = line.indexOf(":");
        var field = i < 0 ? line : line.slice(0, i);
        var value = i < 0 ? "" : line.slice(i + 1);
        if (value.charAt(0) === " ") { value = value.slice(1); }
        if (field === "event") { name = value; } else if (field === "data") { data.push(value); }
      });
      events.push({ event: name, data: data.join("\n") });
    });
    return [events, rest];
  }

  form.addEventListener("submit", function (ev) {
    var question = form.elements.question.value;
    if (!question.trim()) { return; } /* let the browser / server report it */
    ev.preventDefault();
    var law = form.elements.law.value.trim();
    var asOf = form.elements.as_of.value;
    var button = document.getElementById("ask-submit");
    var box = document.getElementById("stream-result");
    document.querySelectorAll("section.result, section.sources, section.unverified, section.hits, div.error")
      .forEach(function (n) { if (!box.contains(n)) { n.remove(); } });
    box.textContent = "";
    var result = el("section", "result");
    result.appendChild(el("h2", null, "답변"));
    result.appendChild(el("p", "meta", "답변을 만드는 중입니다…"));
    var answer = el("div", "answer streaming");
    result.appendChild(answer);
    box.appendChild(result);
    button.disabled = true;
    box.setAttribute("aria-busy", "true");
    var gotData = false;
    var finished = false;

    function done() {
      button.disabled = false;
      box.setAttribute("aria-busy", "false");
      answer.classList.remove("streaming");
    }

    fetch("/api/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify({ question: question, laws: law ? [law] : [], as_of: asOf || null })
    }).then(function (res) {
      if (!res.ok) {
        return res.json().catch(function () { return null; }).then(function (body) {
          gotData = true;
          result.remove();
          showError(box, body);
        });
      }
      var reader = res.body.getReader();
      var decoder = new TextDecoder("utf-8");
      var buffer = "";
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) { return; }
          gotData = true;
          buffer += decoder.decode(step.value, { stream: true });
          var parsed = parseEvents(buffer);
          buffer = parsed[1];
          parsed[0].forEach(function (e) {
            if (e.event === "token") {
              answer.textContent += e.data;
            } else if (e.event === "done") {
              finished = true;
              renderDone(box, answer, JSON.parse(e.data));
            } else if (e.event === "error") {
              finished = true;
              var body = null;
              try { body = JSON.parse(e.data); } catch (err) { body = null; }
              showError(box, body);
            }
          });
          return pump();
        });
      }
      return pump().then(function () {
        if (!finished) { showError(box, { message: "답변 스트림이 중간에 끊겼습니다 / the stream ended early" }); }
      });
    }).catch(function () {
      if (!gotData) {
        form.submit(); /* streaming unavailable: the plain form post still works */
        return;
      }
      showError(box, { message: "연결이 끊겼습니다 / connection lost" });
    }).then(done, done);
  });
})();
