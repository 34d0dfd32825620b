"""The floor every package rests on: the plugin's identity, errors, value records, atomic
files, the data folder and timestamps. Standard library only; imports no other package.
"""
