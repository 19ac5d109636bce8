"""Date and time display formats (FORMAT_MODULE_PATH): YYYY-MM-DD HH:MM in every language (国办发〔2017〕47号)."""
