"""A tiny notes service."""

from flask import Flask, jsonify, render_template, request

app = Flask(__name__)
NOTES: list[str] = []


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.get("/")
def index():
    return render_template("index.html", notes=NOTES)


@app.post("/notes")
def add_note():
    NOTES.append(request.get_json(force=True).get("text", ""))
    return jsonify(count=len(NOTES)), 201


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
