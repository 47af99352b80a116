import configparser
import os

from greeting import greet

config = configparser.ConfigParser()
config.read(os.environ["PYAPP_SETTINGS"])
print(greet(config["app"]["name"]))
