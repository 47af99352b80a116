print("hello from app")
