#!/usr/bin/env python3
"""CDK entry point (cdk.json runs it): synthesizes the function's stack into cdk.out."""

from infra import build_app

if __name__ == "__main__":
    build_app().synth()
