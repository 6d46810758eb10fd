// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: prompts for the Gemini analysis of an emotion window (see emo/session/session.hpp).
#include <glib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "emo/session/session.hpp"

namespace emo {
namespace {

struct Language {
  const char *code;
  const char *system_instruction;
  const char *user_template;
  const char *no_context;
};

/* The prototype's role (an empathetic assistant reading a sequence of emotions recorded while
 * the user talked about a topic), with the limits of automatic emotion recognition spelt out. */
const Language kLanguages[] = {
    {"es",
     "Eres un asistente empático. Una persona habló sobre un tema que ella misma eligió mientras "
     "una cámara registraba su expresión facial a intervalos regulares. Recibes el tema y la "
     "secuencia de emociones detectadas. Respóndele directamente, con calidez y brevedad (como "
     "máximo cuatro frases): refleja cómo parece sentirse respecto al tema, reconoce esos "
     "sentimientos y, si ayuda, ofrece una sugerencia amable. La detección automática de "
     "emociones es imperfecta: no hagas diagnósticos ni sobreinterpretes muestras aisladas. "
     "Responde en español.",
     "Tema del que habló la persona: {context}\n\n"
     "Emociones detectadas, una cada {sample_interval} s durante {duration} s ({samples} "
     "muestras; \"none\" significa que no se vio ninguna cara):\n{timeline}\n\n"
     "Resumen: {counts}. Cara visible en el {face_share} % de las muestras. Emoción "
     "dominante: {dominant}.",
     "(no indicado)"},
    {"en",
     "You are an empathetic assistant. A person talked about a topic of their own choice while "
     "a camera recorded their facial expression at regular intervals. You receive the topic and "
     "the sequence of detected emotions. Reply to the person directly, warmly and briefly (at "
     "most four sentences): reflect how they seem to feel about the topic, acknowledge those "
     "feelings and, if it helps, offer one gentle suggestion. Automatic emotion recognition is "
     "imperfect: do not diagnose and do not over-interpret single samples. Reply in English.",
     "Topic the person talked about: {context}\n\n"
     "Emotions detected, one every {sample_interval} s over {duration} s ({samples} samples; "
     "\"none\" means no face was seen):\n{timeline}\n\n"
     "Summary: {counts}. Face visible in {face_share} % of the samples. Dominant emotion: "
     "{dominant}.",
     "(none given)"},
};

const Language &language_of(const std::string &code) {
  for (const Language &l : kLanguages)
    if (code == l.code) return l;
  return kLanguages[1];
}

std::string seconds(std::int64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(ns) / kSecond);
  std::string s = text;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

std::string join_timeline(const EmotionWindow &w) {
  std::string out;
  for (const std::string &label : w.timeline) out += (out.empty() ? "" : ", ") + label;
  return out;
}

std::string join_counts(const EmotionWindow &w) {
  std::vector<std::pair<std::string, int>> counts(w.counts.begin(), w.counts.end());
  std::stable_sort(counts.begin(), counts.end(),
                   [](const auto &a, const auto &b) { return a.second > b.second; });
  std::string out;
  for (const auto &[label, n] : counts)
    out += (out.empty() ? "" : ", ") + label + ": " + std::to_string(n);
  return out;
}

std::string valid_utf8(const std::string &text) {
  gchar *valid = g_utf8_make_valid(text.c_str(), static_cast<gssize>(text.size()));
  std::string out = valid;
  g_free(valid);
  return out;
}

/* Replaces the placeholders of `text` (see load_prompt_template()); throws on unknown ones. */
std::string substitute(const std::string &text, const EmotionWindow &w, const std::string &context,
                       const Language &lang) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c == '}') throw std::runtime_error("prompt template: unmatched '}' (write '}}' for one)");
    if (c != '{') {
      out += c;
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == std::string::npos)
      throw std::runtime_error("prompt template: unmatched '{' (write '{{' for one)");
    const std::string name = text.substr(i + 1, close - i - 1);
    if (name == "context")
      out += context.empty() ? lang.no_context : context;
    else if (name == "timeline")
      out += join_timeline(w);
    else if (name == "counts")
      out += join_counts(w);
    else if (name == "dominant")
      out += w.dominant;
    else if (name == "face_share")
      out += std::to_string(static_cast<int>(std::lround(w.face_share * 100.0)));
    else if (name == "duration")
      out += seconds(w.duration());
    else if (name == "sample_interval")
      out += seconds(w.sample_interval);
    else if (name == "samples")
      out += std::to_string(w.timeline.size());
    else
      throw std::runtime_error("prompt template: unknown placeholder {" + name + "}");
    i = close;
  }
  return out;
}

/* Splits a template at its "---" line: {system instruction (may be empty), user text}. */
std::pair<std::string, std::string> split_template(const std::string &text) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "---") {
      std::string system = text.substr(0, pos);
      while (!system.empty() && (system.back() == '\n' || system.back() == '\r')) system.pop_back();
      return {system, eol < text.size() ? text.substr(eol + 1) : std::string()};
    }
    pos = eol + 1;
  }
  return {std::string(), text};
}

}  // namespace

std::string truncate_utf8(const std::string &text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back to the lead byte of the character that would be cut (at most 3 continuation bytes).
  for (int i = 0; i < 3 && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80; ++i)
    --end;
  return text.substr(0, end);
}

std::string resolve_language(const std::string &requested, bool *known) {
  std::string code = requested.substr(0, requested.find_first_of("-_"));
  std::transform(code.begin(), code.end(), code.begin(),
                 [](unsigned char c) { return static_cast<char>(g_ascii_tolower(c)); });
  for (const Language &l : kLanguages) {
    if (code == l.code) {
      if (known) *known = true;
      return l.code;
    }
  }
  if (known) *known = false;
  return "en";
}

std::string load_prompt_template(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the prompt template " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  if (!g_utf8_validate(text.c_str(), static_cast<gssize>(text.size()), nullptr))
    throw std::runtime_error("the prompt template " + path + " is not UTF-8 text");
  const auto [system, user] = split_template(text);
  if (user.find_first_not_of(" \t\r\n") == std::string::npos)
    throw std::runtime_error("the prompt template " + path + " has no user text");
  try {
    EmotionWindow probe;
    substitute(system, probe, "", kLanguages[1]);
    substitute(user, probe, "", kLanguages[1]);
  } catch (const std::runtime_error &e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return text;
}

Prompt build_prompt(const EmotionWindow &window, const PromptSettings &settings) {
  const Language &lang = language_of(resolve_language(settings.language));
  const std::string context = valid_utf8(settings.context);
  Prompt prompt;
  if (settings.template_text.empty()) {
    prompt.system_instruction = lang.system_instruction;
    prompt.user_text = substitute(lang.user_template, window, context, lang);
    return prompt;
  }
  const auto [system, user] = split_template(settings.template_text);
  prompt.system_instruction =
      system.empty() ? lang.system_instruction : substitute(system, window, context, lang);
  prompt.user_text = substitute(user, window, context, lang);
  return prompt;
}

}  // namespace emo
