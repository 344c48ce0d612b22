/* Streaming answers for the question form: POST /api/ask/stream, read server-sent events with fetch.
 * Without JavaScript (or without fetch streams) the form posts to /ask and the server renders the page.
 * Everything from the server is inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var form = document.getElementById("ask-form");
  if (!form || !window.fetch || !window.TextDecoder || !window.ReadableStream) {
    return;
  }
  /* The same labels as app/web.py: "exists in the corpus" (존재 확인) is not "supports the answer" (근거 조문). */
  var STATUS = {
    verified: ["근거 조문", "답변의 근거로 검색되어 제시된 조문"],
    not_in_context: ["존재 확인", "코퍼스에 있는 조문이지만 이 답변의 근거로 검색된 조문은 아님"],
    not_found: ["확인 불가", "코퍼스에 없는 법령 또는 조문"],
    resolved: ["질문 인용", "질문에 인용된 조문"]
  };
  var ROLE = {
    governing: ["근거 조문", "질문에 답하는 조문: 답하는 문장을 표시했습니다"],
    related: ["관련 조문", "함께 볼 조문: 포함한 이유를 적었습니다"]
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

  function linkNode(link) {
    var url = safeUrl(link.url);
    if (!url) { return document.createTextNode(link.label); }
    var a = el("a", "statute-link link-" + link.kind, link.label);
    a.href = url;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    return a;
  }

  /* Text with the server's links (image placeholders, 「법」 제N조, 별표 references) as anchors and the
   * answering sentences (marks: {start, end}) in <mark>. Offsets count code points (Python); statute text is
   * BMP-only, where they equal UTF-16 offsets. */
  function linkedText(box, text, links, marks) {
    var cuts = [];
    (links || []).forEach(function (l) { cuts.push({ start: l.start, end: l.end, link: l }); });
    (marks || []).forEach(function (m) {
      if (m.start !== null && m.end !== null && m.start !== undefined) { cuts.push({ start: m.start, end: m.end, mark: true }); }
    });
    cuts.sort(function (a, b) { return a.start - b.start || (a.mark ? -1 : 1); });
    var pos = 0;
    var target = box;
    var markEnd = -1;
    cuts.forEach(function (c) {
      if (c.mark) {
        if (c.start < pos) { return; }
        target.appendChild(document.createTextNode(text.slice(pos, c.start)));
        target = el("mark", "answering");
        box.appendChild(target);
        pos = c.start;
        markEnd = c.end;
        return;
      }
      if (c.start < pos) { return; }
      if (markEnd >= 0 && c.start >= markEnd) {
        target.appendChild(document.createTextNode(text.slice(pos, markEnd)));
        pos = markEnd;
        target = box;
        markEnd = -1;
      }
      target.appendChild(document.createTextNode(text.slice(pos, c.start)));
      target.appendChild(linkNode(c.link));
      pos = c.end;
    });
    if (markEnd >= 0) {
      target.appendChild(document.createTextNode(text.slice(pos, Math.max(pos, markEnd))));
      pos = Math.max(pos, markEnd);
      target = box;
    }
    box.appendChild(document.createTextNode(text.slice(pos)));
    return box;
  }

  function articleNode(hit, citation, basis) {
    var art = el("article", "article" + (basis ? " role-" + basis.role : ""));
    art.setAttribute("data-doc-id", hit.doc_id);
    art.appendChild(el("h3", null, "「" + hit.law + "」 " + hit.article + (hit.title ? "(" + hit.title + ")" : "")));
    var badges = el("p", "badges");
    var b;
    if (basis) {
      var role = ROLE[basis.role] || [basis.role, ""];
      b = el("span", "badge role-" + basis.role, role[0]);
      b.title = role[1];
      badges.appendChild(b);
    } else if (citation) {
      var label = STATUS[citation.status] || [citation.status, ""];
      b = el("span", "badge status-" + citation.status, label[0]);
      b.title = label[1];
      badges.appendChild(b);
    }
    if (hit.pending) { badges.appendChild(el("span", "badge badge-pending", "시행 예정 " + (hit.article_effective || hit.effective || ""))); }
    if (hit.deleted) { badges.appendChild(el("span", "badge badge-deleted", "삭제된 조문")); }
    if (!citation && !basis) { badges.appendChild(el("span", "score", "순위 " + hit.rank + " · 점수 " + Number(hit.score).toFixed(4))); }
    art.appendChild(badges);
    if (basis) {
      art.appendChild(el("p", "reason", basis.reason));
      (basis.sentences || []).forEach(function (s) { art.appendChild(el("blockquote", "answering-sentence", s.text)); });
    }
    art.appendChild(el("p", "dates", "시행일 " + (hit.effective || "미상") +
      (hit.article_effective && hit.article_effective !== hit.effective ? " · 이 조문 " + hit.article_effective : "")));
    var details = el("details");
    details.appendChild(el("summary", null, "조문 전문 보기"));
    details.appendChild(linkedText(el("div", "article-text"), String(hit.text || ""), hit.links,
      basis ? basis.sentences : []));
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
    answerNode.classList.remove("streaming");
    answerNode.textContent = "";
    if (resp.found === false) {
      answerNode.className = "no-fit";
      answerNode.setAttribute("role", "status");
      answerNode.textContent = resp.notice || resp.answer;
    } else {
      linkedText(answerNode, String(resp.answer || ""), resp.answer_links, []);
    }
    var meta = box.querySelector(".meta");
    if (meta) {
      meta.textContent = "기준일 " + resp.as_of + " · 생성기: " + resp.generator +
        (resp.generator.indexOf("extractive") === 0 ? " (발췌 답변)" : "");
    }
    (resp.notes || []).forEach(function (note) {
      var p = el("p", "pending-note");
      p.setAttribute("role", "note");
      p.appendChild(el("span", "badge badge-pending", "시행 예정"));
      p.appendChild(document.createTextNode(" " + note));
      answerNode.parentNode.insertBefore(p, answerNode);
    });
    var seen = {};
    var sources = section("sources", "답변의 근거 조문");
    var nSources = 0;
    var related = (resp.basis || []).filter(function (x) { return x.role === "related"; });
    (resp.basis || []).forEach(function (x) {
      if (x.role !== "governing") { return; }
      seen[x.hit.doc_id] = true;
      sources.appendChild(articleNode(x.hit, null, x));
      nSources += 1;
    });
    if (related.length) {
      sources.appendChild(el("h3", "sub", "함께 볼 조문"));
      related.forEach(function (x) {
        seen[x.hit.doc_id] = true;
        sources.appendChild(articleNode(x.hit, null, x));
        nSources += 1;
      });
    }
    var unverified = section("unverified", "확인되지 않은 인용");
    var ul = el("ul");
    var nUnverified = 0;
    var extraHeading = false;
    (resp.citations || []).forEach(function (c) {
      if (c.status !== "not_found" && c.hit && !seen[c.hit.doc_id]) {
        seen[c.hit.doc_id] = true;
        if (!extraHeading) { sources.appendChild(el("h3", "sub", "답변이 인용한 그 밖의 조문")); extraHeading = true; }
        sources.appendChild(articleNode(c.hit, c, null));
        nSources += 1;
      } else if (c.status === "not_found") {
        var li = el("li");
        li.appendChild(el("span", "badge status-not_found", "확인 불가"));
        li.appendChild(document.createTextNode(" " + c.raw + " — " + c.message));
        ul.appendChild(li);
        nUnverified += 1;
      }
    });
    if (nSources) { box.appendChild(sources); }
    if (nUnverified) {
      unverified.appendChild(el("p", null, "아래 인용은 색인에서 찾을 수 없어 근거로 표시하지 않습니다."));
      unverified.appendChild(ul);
      box.appendChild(unverified);
    }
    var rest = (resp.hits || []).filter(function (h) { return !seen[h.doc_id]; });
    if (rest.length) {
      var hits = el("section", "hits");
      var more = el("details", "more-hits");
      var summary = el("summary", null, "그 밖에 검색된 조문 " + rest.length + "개 ");
      summary.appendChild(el("span", "help", "(질문과 맞는 내용이 적어 근거로 쓰지 않음)"));
      more.appendChild(summary);
      rest.forEach(function (h) { more.appendChild(articleNode(h, null, null)); });
      hits.appendChild(more);
      box.appendChild(hits);
    }
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
