import streamlit as st

st.title("search")
st.info("This page is being built.")
