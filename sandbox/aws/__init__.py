"""AWS emulators: moto in server mode, and our own for what moto lacks, over botocore's wire protocols."""
