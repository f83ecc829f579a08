"""The Azure OpenAI fine-tuning data plane: files and fine-tuning jobs (dated and /openai/v1 URL styles)."""
