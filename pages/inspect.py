import streamlit as st

st.title("inspect")
st.info("This page is being built.")
