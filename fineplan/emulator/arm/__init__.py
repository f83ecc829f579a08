"""ARM Microsoft.CognitiveServices account deployments: long-running PUT / PATCH / DELETE, GET, paged LIST."""
