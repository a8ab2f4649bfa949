"""Generated images' prompts: the phrases a prompt names, and whether the picture agrees."""
