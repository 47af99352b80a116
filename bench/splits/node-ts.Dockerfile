FROM node:18 AS build

WORKDIR /usr/src/app
COPY . .
RUN npm install
RUN npm run build

FROM node:18-slim
WORKDIR /usr/src/app
COPY --from=build /usr/src/app /usr/src/app
ENV NODE_ENV=production
EXPOSE 3000
CMD ["node", "dist/server.js"]
