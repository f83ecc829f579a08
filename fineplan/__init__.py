"""fineplan: plan/apply for fine-tuning jobs and deployments on Azure AI Foundry."""

__version__ = "0.1.0"
