"""View models: engine results shaped for one page each. No Streamlit import here."""
