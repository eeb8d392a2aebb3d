"""Local stack: moto's server, template.yaml's resources, the HTTP and Lambda APIs, and a
Scheduler emulator, so the same handlers run on a laptop without Docker."""
