import discord

# Pitwall never joins voice channels: discord.py's one-time "voice will NOT be supported" warnings are noise here.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False
