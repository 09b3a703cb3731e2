"""The demonstration data sets behind `crm demo`."""
