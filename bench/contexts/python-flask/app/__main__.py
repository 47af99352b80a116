from app.core import answer

print("answer:", answer())
