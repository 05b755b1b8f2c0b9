"""The container tests: the project's image and deploy/docker-compose.yml built, run and faulted on a real engine."""
