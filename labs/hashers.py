"""A fast password hasher for the passwords labs generate for trainees' seats.

PBKDF2's many iterations protect passwords people choose. A seat's password is drawn at random (about 110
bits, labs/seats.py), so guessing it is hopeless however fast each try is; hashing 400 of them at Django's
default cost would take most of a minute when a trainer creates a class of 200. Registered in
settings.PASSWORD_HASHERS after Django's own, so every other password keeps the default hasher.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class GeneratedPasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_generated"
    iterations = 1000
