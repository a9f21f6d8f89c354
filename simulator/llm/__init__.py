"""Talking to language models: the OpenAI-compatible client (streaming with retries, a reply-length
bound, structured output with method fallback) and the prompt templates in prompts/.
"""
